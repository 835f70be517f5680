; ${view.banner}
; ${view.description}
    bits ${view.bits}

% for name in view.externs:
    extern ${name}
% endfor
% for section in view.sections:

${section.open}
% for line in section.lines:
${line}
% endfor
${section.close}
% endfor

${view.note.open}
