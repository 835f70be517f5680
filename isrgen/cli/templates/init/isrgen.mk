# isrgen from GNU make (>= 4.3 for the grouped target `&:`), written by `isrgen init`.
# In your Makefile:
#
#   include isrgen.mk
#   kernel.elf: $(ISR_OBJ) ...           # the assembled stubs, entry and table
#   CFLAGS += -I$(ISR_GEN)               # for #include "isr.h"
#   %.o: %.c | $(ISR_OUTPUTS)            # (or list isr.h as a prerequisite)
#
# One isrgen run writes every output.  --depfile names every input isrgen read,
# so editing the spec regenerates them; an output whose content did not change
# keeps its mtime, so nothing built from it is rebuilt.

# (the rules below leave the includer's default goal alone)
_isr_default_goal := $(.DEFAULT_GOAL)
ISRGEN   ?= isrgen
ISR_SPEC ?= isr.yaml
ISR_GEN  ?= build/isr
# the files a build writes, asked from isrgen (one per line; a spec error shows here first)
ISR_OUTPUTS := $(shell $(ISRGEN) build $(ISR_SPEC) -o $(ISR_GEN) --list-outputs)
ISR_OBJ  := $(patsubst %.S,%.o,$(filter %.S,$(ISR_OUTPUTS)))

$(ISR_OUTPUTS) &: $(ISR_SPEC)
	$(ISRGEN) build $(ISR_SPEC) -o $(ISR_GEN) --depfile $(ISR_GEN).d

-include $(ISR_GEN).d

$(ISR_GEN)/%.o: $(ISR_GEN)/%.S
	$(CC) $(ASFLAGS) -c $< -o $@

.DEFAULT_GOAL := $(_isr_default_goal)
