# The command line (label cli): tests/tools/cli_cases.py holds one case per
# behaviour of issues 9 and 15 (help, usage errors, suggestions, variants
# ad hoc, seeds, budgets, signals, checked writes, the suite table, trace
# ergonomics, filters, completion), each checking exact output; and the
# tutorial (docs/tutorial.md), whose every command runs and whose every
# output matches.
find_package(Python3 REQUIRED COMPONENTS Interpreter)
set(SIM_CLI_CASES ${PROJECT_SOURCE_DIR}/tests/tools/cli_cases.py)
execute_process(COMMAND ${Python3_EXECUTABLE} ${SIM_CLI_CASES} - - --list
                OUTPUT_VARIABLE SIM_CLI_NAMES OUTPUT_STRIP_TRAILING_WHITESPACE
                COMMAND_ERROR_IS_FATAL ANY)
string(REPLACE "\n" ";" SIM_CLI_NAMES "${SIM_CLI_NAMES}")
find_program(SIM_ZSH zsh)
if(SIM_ZSH)
  execute_process(COMMAND ${Python3_EXECUTABLE} ${SIM_CLI_CASES} - - --list-zsh
                  OUTPUT_VARIABLE SIM_CLI_ZSH OUTPUT_STRIP_TRAILING_WHITESPACE
                  COMMAND_ERROR_IS_FATAL ANY)
  string(REPLACE "\n" ";" SIM_CLI_ZSH "${SIM_CLI_ZSH}")
  list(APPEND SIM_CLI_NAMES ${SIM_CLI_ZSH})
endif()
foreach(case ${SIM_CLI_NAMES})
  add_test(NAME cli.case.${case}
           COMMAND ${Python3_EXECUTABLE} ${SIM_CLI_CASES}
                   $<TARGET_FILE:rddsim> ${PROJECT_SOURCE_DIR} ${case})
  set_tests_properties(cli.case.${case} PROPERTIES LABELS cli TIMEOUT 300)
endforeach()

# docs/tutorial.md runs as written: every command, every output.
add_test(NAME cli.tutorial
         COMMAND ${Python3_EXECUTABLE} ${PROJECT_SOURCE_DIR}/tests/tools/tutorial.py
                 $<TARGET_FILE_DIR:rddsim> ${PROJECT_SOURCE_DIR}/docs/tutorial.md)
set_tests_properties(cli.tutorial PROPERTIES LABELS cli)
