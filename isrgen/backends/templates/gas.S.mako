/* ${view.banner} */
/* ${view.description} */
% for line in view.prologue:
${line}
% endfor
% for section in view.sections:

${section.open}
% for line in section.lines:
${line}
% endfor
${section.close}
% endfor

${view.note.open}
${view.note.close}
