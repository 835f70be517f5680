# isrgen from CMake (>= 3.20: DEPFILE works with the Ninja and Makefile generators),
# written by `isrgen init`.  In your CMakeLists.txt (project languages C and ASM):
#
#   include(isrgen.cmake)
#   add_executable(kernel ${ISR_OUTPUTS} main.c ...)   # or add_library
#   target_include_directories(kernel PRIVATE ${ISR_GEN})
#
# -DISRGEN="python3;-m;isrgen" picks another isrgen command, -DISR_SPEC=... another spec.

set(ISRGEN isrgen CACHE STRING "The isrgen command, as a CMake list (e.g. python3;-m;isrgen)")
set(ISR_SPEC "${CMAKE_CURRENT_LIST_DIR}/isr.yaml" CACHE FILEPATH "The isrgen spec")
set(ISR_GEN "${CMAKE_CURRENT_BINARY_DIR}/isr")

# Ask isrgen at configure time which files a build writes (one per line), and
# configure again if the spec changes, since that may change the list.
execute_process(
  COMMAND ${ISRGEN} build ${ISR_SPEC} -o ${ISR_GEN} --list-outputs
  OUTPUT_VARIABLE ISR_OUTPUTS
  OUTPUT_STRIP_TRAILING_WHITESPACE
  COMMAND_ERROR_IS_FATAL ANY)
string(REPLACE "\n" ";" ISR_OUTPUTS "${ISR_OUTPUTS}")
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${ISR_SPEC}")

# The depfile lists every input isrgen read; its first target is the first
# OUTPUT, as Ninja requires.  Unchanged outputs keep their mtime (restat).
add_custom_command(
  OUTPUT ${ISR_OUTPUTS}
  COMMAND ${ISRGEN} build ${ISR_SPEC} -o ${ISR_GEN} --depfile ${ISR_GEN}.d
  DEPENDS ${ISR_SPEC}
  DEPFILE ${ISR_GEN}.d
  COMMENT "isrgen: interrupt glue from ${ISR_SPEC}"
  VERBATIM)
