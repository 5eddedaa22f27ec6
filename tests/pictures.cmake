# Pictures of a run (label pictures; docs/trace.md "Perfetto", "Timeline"):
# rddsim run --trace-format perfetto checked as JSON (python3 -m json.tool)
# and as a Trace Event Format document (tests/tools/perfetto_check.py: ph,
# ts, pid/tid, named tracks, every flow start finished, spans not
# overlapping, one instant and one flow per record and cause of the same
# run's JSON Lines trace); the output-file and --junit cases
# (tests/tools/pictures_cases.py); scripts/timeline.py drawing a PNG, with
# an interpreter that has matplotlib (skipped when none has).
find_package(Python3 REQUIRED COMPONENTS Interpreter)
set(SIM_PIC_DIR ${CMAKE_BINARY_DIR}/pictures)
file(MAKE_DIRECTORY ${SIM_PIC_DIR})

# NAME SCENARIO VARIANT TRACKS...: tracks that must hold a state span.
function(sim_perfetto_case name scen variant)
  set(base ${SIM_PIC_DIR}/${name})
  add_test(NAME pictures.perfetto.${name}.run
           COMMAND $<TARGET_FILE:rddsim> run ${PROJECT_SOURCE_DIR}/${scen}
                   --variant ${variant} --trace ${base}.json
                   --trace-format perfetto)
  add_test(NAME pictures.perfetto.${name}.jsonl
           COMMAND $<TARGET_FILE:rddsim> run ${PROJECT_SOURCE_DIR}/${scen}
                   --variant ${variant} --trace ${base}.jsonl)
  set_tests_properties(pictures.perfetto.${name}.run
                       pictures.perfetto.${name}.jsonl PROPERTIES
                       LABELS pictures FIXTURES_SETUP pic_${name})
  # json.tool's output goes nowhere: a pretty copy of running-false-
  # starting's trace is 217 MB, and nothing reads it.
  add_test(NAME pictures.perfetto.${name}.json_tool
           COMMAND ${Python3_EXECUTABLE} -m json.tool ${base}.json /dev/null)
  set(expect)
  foreach(t ${ARGN})
    list(APPEND expect --expect-track ${t})
  endforeach()
  add_test(NAME pictures.perfetto.${name}.check
           COMMAND ${Python3_EXECUTABLE}
                   ${PROJECT_SOURCE_DIR}/tests/tools/perfetto_check.py
                   ${base}.json --jsonl ${base}.jsonl ${expect})
  set_tests_properties(pictures.perfetto.${name}.json_tool
                       pictures.perfetto.${name}.check PROPERTIES
                       LABELS pictures FIXTURES_REQUIRED pic_${name})
endfunction()

sim_perfetto_case(dd-before-rdd scenarios/collisions/dd-before-rdd.yaml head
                  ContainerEngineReady "App Running (LimaVM's, mirrored)"
                  "App Settled" "LimaVM phase" "bridge state"
                  "owner of \\\\.\\pipe\\docker_engine" "owner state"
                  "daemon state")
sim_perfetto_case(running-false-starting
                  scenarios/reports/running-false-starting.yaml head
                  "hostagent state" "LimaVM phase" "service state")

execute_process(COMMAND ${Python3_EXECUTABLE}
                        ${PROJECT_SOURCE_DIR}/tests/tools/pictures_cases.py
                        - - --list
                OUTPUT_VARIABLE SIM_PIC_CASES
                OUTPUT_STRIP_TRAILING_WHITESPACE COMMAND_ERROR_IS_FATAL ANY)
string(REPLACE "\n" ";" SIM_PIC_CASES "${SIM_PIC_CASES}")
foreach(case ${SIM_PIC_CASES})
  add_test(NAME pictures.case.${case}
           COMMAND ${Python3_EXECUTABLE}
                   ${PROJECT_SOURCE_DIR}/tests/tools/pictures_cases.py
                   $<TARGET_FILE:rddsim> ${PROJECT_SOURCE_DIR} ${case})
  set_tests_properties(pictures.case.${case} PROPERTIES LABELS pictures)
endforeach()

# scripts/timeline.py needs matplotlib: the python3 on PATH may lack it
# (a pyenv), Debian's /usr/bin/python3 has it with python3-matplotlib.
# tests/tools/timeline_check.sh finds one or exits 77 (skipped).
add_test(NAME pictures.timeline.dd-before-rdd
         COMMAND sh ${PROJECT_SOURCE_DIR}/tests/tools/timeline_check.sh
                 ${PROJECT_SOURCE_DIR}/scripts/timeline.py
                 ${SIM_PIC_DIR}/dd-before-rdd.jsonl
                 ${SIM_PIC_DIR}/dd-before-rdd.png)
set_tests_properties(pictures.timeline.dd-before-rdd PROPERTIES
                     LABELS pictures SKIP_RETURN_CODE 77
                     FIXTURES_REQUIRED pic_dd-before-rdd)
