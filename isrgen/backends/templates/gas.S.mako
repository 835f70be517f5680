/* ${view.banner} */
/* ${view.description} */
    .intel_syntax noprefix
% for section in view.sections:

${section.open}
% for line in section.lines:
${line}
% endfor
${section.close}
% endfor

${view.note.open}
${view.note.close}
