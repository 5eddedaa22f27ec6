# Scenario, determinism, bad-input, benchmark-reference and tidy tests.
find_package(Python3 REQUIRED COMPONENTS Interpreter)
set(SIM_SCEN_DIR ${PROJECT_SOURCE_DIR}/scenarios)
set(SIM_TOOLS ${PROJECT_SOURCE_DIR}/tests/tools)
file(GLOB_RECURSE SIM_SCEN_FILES CONFIGURE_DEPENDS ${SIM_SCEN_DIR}/*.yaml)
execute_process(COMMAND ${Python3_EXECUTABLE} ${SIM_TOOLS}/list_variants.py
                        ${SIM_SCEN_DIR}
                OUTPUT_VARIABLE SIM_PAIRS OUTPUT_STRIP_TRAILING_WHITESPACE
                COMMAND_ERROR_IS_FATAL ANY)
string(REPLACE "\n" ";" SIM_PAIRS "${SIM_PAIRS}")
foreach(pair ${SIM_PAIRS})
  string(REGEX REPLACE "\\|.*$" "" file "${pair}")
  string(REGEX REPLACE "^.*\\|" "" variant "${pair}")
  string(REGEX REPLACE "\\.yaml$" "" tname "${file}")
  string(REPLACE "/" "." tname "${tname}")
  # The scenario meets its expected outcome for this variant (seed 1..3).
  foreach(seed 1 2 3)
    add_test(NAME scenario.${tname}.${variant}.seed${seed}
             COMMAND rddsim run ${SIM_SCEN_DIR}/${file} --variant ${variant}
                     --seed ${seed})
    set_tests_properties(scenario.${tname}.${variant}.seed${seed}
                         PROPERTIES LABELS scenario)
  endforeach()
  add_test(NAME determinism.${tname}.${variant}
           COMMAND ${Python3_EXECUTABLE} ${SIM_TOOLS}/determinism.py
                   $<TARGET_FILE:rddsim> ${SIM_SCEN_DIR}/${file} ${variant})
  set_tests_properties(determinism.${tname}.${variant}
                       PROPERTIES LABELS determinism)
endforeach()

# Bad input: exit 2 and file:line:col: message.
set(SIM_BAD ${PROJECT_SOURCE_DIR}/tests/bad)
function(sim_bad name regex)
  add_test(NAME bad.${name}
           COMMAND ${Python3_EXECUTABLE} ${SIM_TOOLS}/expect.py 2 "${regex}" --
                   $<TARGET_FILE:rddsim> run ${SIM_BAD}/${name}.yaml)
  set_tests_properties(bad.${name} PROPERTIES LABELS cli)
endfunction()
sim_bad(misspelt-key "misspelt-key.yaml:6:5: unknown key 'handshak' in an instance")
sim_bad(bad-duration "bad-duration.yaml:3:11: duration must be a duration with a unit")
sim_bad(bad-ratio "bad-ratio.yaml:6:13: chance must be a ratio")
sim_bad(unknown-invariant "unknown-invariant.yaml:5:30: unknown invariant 'S99'")
sim_bad(syntax "syntax.yaml:[0-9]+:[0-9]+: ")
sim_bad(unknown-flag "unknown-flag.yaml:6:13: unknown flag 'per_instance_pipe'")
sim_bad(unknown-action "unknown-action.yaml:7:18: unknown action 'svc.restart'")
sim_bad(bad-host "bad-host.yaml:2:7: host must be windows, msys, wsl2, linux or darwin")
sim_bad(bad-proc "bad-proc.yaml:7:50: proc must be hostagent, service or driver")
sim_bad(matrix-uncovered "matrix-uncovered.yaml:13:5: no expect rule covers cell squatter.later.head")
sim_bad(matrix-dead-rule "matrix-dead-rule.yaml:13:7: this rule covers no cell")
sim_bad(every-rdd-set "every-rdd-set.yaml:7:21: rdd.set cannot repeat")
add_test(NAME cli.missing-file
         COMMAND ${Python3_EXECUTABLE} ${SIM_TOOLS}/expect.py 2 "cannot open" --
                 $<TARGET_FILE:rddsim> check ${SIM_BAD}/does-not-exist.yaml)
add_test(NAME cli.usage
         COMMAND ${Python3_EXECUTABLE} ${SIM_TOOLS}/expect.py 2 "usage: rddsim" --
                 $<TARGET_FILE:rddsim> frobnicate)
add_test(NAME cli.list-variants
         COMMAND ${Python3_EXECUTABLE} ${SIM_TOOLS}/expect.py 0 "bind_failure_surfaced" --
                 $<TARGET_FILE:rddsim> list variants)
add_test(NAME cli.list-faults
         COMMAND ${Python3_EXECUTABLE} ${SIM_TOOLS}/expect.py 0 "npipe.dial.busy" --
                 $<TARGET_FILE:rddsim> list faults)
add_test(NAME cli.list-actions
         COMMAND ${Python3_EXECUTABLE} ${SIM_TOOLS}/expect.py 0 "^svc.delete$" --
                 $<TARGET_FILE:rddsim> list actions)
add_test(NAME cli.list-invariants
         COMMAND ${Python3_EXECUTABLE} ${SIM_TOOLS}/expect.py 0 "^S3 +bind failure visibility" --
                 $<TARGET_FILE:rddsim> list invariants)
add_test(NAME cli.check-all
         COMMAND $<TARGET_FILE:rddsim> check ${SIM_SCEN_FILES})
add_test(NAME cli.suite
         COMMAND ${Python3_EXECUTABLE} ${SIM_TOOLS}/expect.py 0 "suite: [0-9]+ passed, 0 failed" --
                 $<TARGET_FILE:rddsim> suite ${SIM_SCEN_DIR})
set_tests_properties(cli.missing-file cli.usage cli.list-variants cli.list-actions
                     cli.list-faults cli.list-invariants cli.check-all
                     cli.suite PROPERTIES LABELS cli)

# The kernel benchmarks print the reference values of des-workloads.md.
add_test(NAME bench.w1-small
         COMMAND ${Python3_EXECUTABLE} ${SIM_TOOLS}/expect.py 0
                 "events=200000 final_vtime_us=100315 " --
                 $<TARGET_FILE:rddsim> bench kernel w1 A=1000 E=200000)
add_test(NAME bench.w2-tie
         COMMAND ${Python3_EXECUTABLE} ${SIM_TOOLS}/expect.py 0
                 "timed_out=0 polls=100000 events=200000 final_vtime_us=102998971000 " --
                 $<TARGET_FILE:rddsim> bench kernel w2 N=1 L_MS=1 POLL_MS=1
                 TIMEOUT_MS=30 R=100000 SEED=7)
# The stop at scale runs to its expected outcome and counts what it did.
add_test(NAME bench.scale-small
         COMMAND ${Python3_EXECUTABLE} ${SIM_TOOLS}/expect.py 0
                 "workload=scale containers=300 images=75 volumes=30 .* docker_calls=[1-9][0-9]* apiserver_writes=[1-9][0-9]* informer_events=[1-9][0-9]* .* result=MATCH" --
                 $<TARGET_FILE:rddsim> bench scale 300)
set_tests_properties(bench.w1-small bench.w2-tie bench.scale-small
                     PROPERTIES LABELS bench)

# Tidy: banned calls in simulated code, and the helper scripts' own tests.
add_test(NAME tidy.banned
         COMMAND ${Python3_EXECUTABLE} ${SIM_TOOLS}/check_banned.py
         WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
add_test(NAME tidy.tools
         COMMAND ${Python3_EXECUTABLE} ${SIM_TOOLS}/test_tools.py
         WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
set_tests_properties(tidy.banned tidy.tools PROPERTIES LABELS tidy)

# Expectations on the trace can fail: a missing text and a forbidden one.
add_test(NAME cli.trace-expectation-missing
         COMMAND ${Python3_EXECUTABLE} ${SIM_TOOLS}/expect.py 1
                 "expectation: missing from the trace: this text never appears" --
                 $<TARGET_FILE:rddsim> run
                 ${PROJECT_SOURCE_DIR}/tests/expect/trace-expectation-fails.yaml
                 --variant head)
add_test(NAME cli.trace-expectation-forbidden
         COMMAND ${Python3_EXECUTABLE} ${SIM_TOOLS}/expect.py 1
                 "expectation: found in the trace: rdd.hostagent.event" --
                 $<TARGET_FILE:rddsim> run
                 ${PROJECT_SOURCE_DIR}/tests/expect/trace-expectation-fails.yaml
                 --variant forbidden)
set_tests_properties(cli.trace-expectation-missing cli.trace-expectation-forbidden
                     PROPERTIES LABELS cli)
