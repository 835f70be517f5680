# isrgen from CMake (>= 3.20: DEPFILE works with the Ninja and Makefile generators),
# written by `isrgen init`.  In your CMakeLists.txt (project languages C and ASM):
#
#   include(isrgen.cmake)
#   add_executable(kernel main.c ...)                     # or add_library
#   isrgen_generate(kernel SPEC isr.yaml)                 # glue sources + include dir
#
#   isrgen_generate(<target> SPEC <spec> [OUTPUT_DIR <dir>] [BACKENDS <name>...]
#                   [OUTPUTS_VAR <var>])
#
# adds the files isrgen writes for <spec> to <target>'s sources and OUTPUT_DIR
# (default: ${CMAKE_CURRENT_BINARY_DIR}/isrgen) to its include directories;
# OUTPUTS_VAR receives the list of outputs.  The list comes from
# `isrgen build --list-outputs` at configure time (CMake configures again when the
# spec changes); the build reruns isrgen when the spec or anything it read changes
# (--depfile).  -DISRGEN="python3;-m;isrgen" picks another isrgen command.

set(ISRGEN isrgen CACHE STRING "The isrgen command, as a CMake list (e.g. python3;-m;isrgen)")

function(isrgen_generate target)
  cmake_parse_arguments(PARSE_ARGV 1 ARG "" "SPEC;OUTPUT_DIR;OUTPUTS_VAR" "BACKENDS")
  if(NOT ARG_SPEC)
    message(FATAL_ERROR "isrgen_generate(${target}): SPEC is required")
  endif()
  get_filename_component(spec "${ARG_SPEC}" ABSOLUTE)
  if(ARG_OUTPUT_DIR)
    get_filename_component(out "${ARG_OUTPUT_DIR}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_BINARY_DIR}")
  else()
    set(out "${CMAKE_CURRENT_BINARY_DIR}/isrgen")
  endif()
  set(backend_args "")
  foreach(backend IN LISTS ARG_BACKENDS)
    list(APPEND backend_args -b ${backend})
  endforeach()
  execute_process(
    COMMAND ${ISRGEN} build ${spec} -o ${out} ${backend_args} --list-outputs
    OUTPUT_VARIABLE outputs
    OUTPUT_STRIP_TRAILING_WHITESPACE
    COMMAND_ERROR_IS_FATAL ANY)
  string(REPLACE "\n" ";" outputs "${outputs}")
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${spec}")
  # the depfile's first target is the first OUTPUT, as Ninja requires; unchanged
  # outputs keep their mtime (restat)
  string(MAKE_C_IDENTIFIER "${target}" depname)
  set(depfile "${CMAKE_CURRENT_BINARY_DIR}/${depname}.isrgen.d")
  add_custom_command(
    OUTPUT ${outputs}
    COMMAND ${ISRGEN} build ${spec} -o ${out} ${backend_args} --depfile ${depfile}
    DEPENDS ${spec}
    DEPFILE ${depfile}
    COMMENT "isrgen: interrupt glue from ${ARG_SPEC}"
    VERBATIM)
  target_sources(${target} PRIVATE ${outputs})
  target_include_directories(${target} PRIVATE ${out})
  if(ARG_OUTPUTS_VAR)
    set(${ARG_OUTPUTS_VAR} ${outputs} PARENT_SCOPE)
  endif()
endfunction()
