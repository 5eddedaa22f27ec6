# Scenario, determinism, bad-input, benchmark-reference and tidy tests.
find_package(Python3 REQUIRED COMPONENTS Interpreter)
set(SIM_SCEN_DIR ${PROJECT_SOURCE_DIR}/scenarios)
set(SIM_TOOLS ${PROJECT_SOURCE_DIR}/tests/tools)
file(GLOB_RECURSE SIM_SCEN_FILES CONFIGURE_DEPENDS ${SIM_SCEN_DIR}/*.yaml)
# scenarios/profiles/ holds exploration profiles (docs/explore.md)
list(FILTER SIM_SCEN_FILES EXCLUDE REGEX "/scenarios/profiles/")
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
  # The scenario meets its expected outcome for this variant with every
  # seed 1..10, in one process (one verdict line per seed, then a summary
  # naming the seeds that do not).
  add_test(NAME scenario.${tname}.${variant}
           COMMAND rddsim run ${SIM_SCEN_DIR}/${file} --variant ${variant}
                   --seeds 1..10)
  set_tests_properties(scenario.${tname}.${variant}
                       PROPERTIES LABELS scenario)
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
sim_bad(fault-twice "fault-twice.yaml:6:12: fault site 'dock.ping.unavailable' is armed twice \\(line 5\\)")
sim_bad(typo-required-key "typo-required-key.yaml:10:5: unknown key 'deamon' in an owner \\(did you mean 'daemon'\\?\\)")
# Hostile input (issue 9): one ctest per case, each checking the exit code,
# the message's file:line:col and the child's peak RSS and wall time
# (tests/tools/hostile.py; 512 MB and 10 s, looser under the sanitizers,
# which multiply both).  Big and binary inputs are generated into the build
# dir at test time; the small ones live in tests/hostile/.
set(SIM_HOSTILE ${PROJECT_SOURCE_DIR}/tests/hostile)
set(SIM_HOSTILE_GEN ${CMAKE_CURRENT_BINARY_DIR}/hostile)
file(MAKE_DIRECTORY ${SIM_HOSTILE_GEN})
if(SIM_SANITIZE)
  set(SIM_HOSTILE_BOUNDS --rss-mb 2048 --wall-s 60)
else()
  set(SIM_HOSTILE_BOUNDS --rss-mb 512 --wall-s 10)
endif()
# sim_hostile(NAME GEN CODES REGEX RDDSIM-ARGS...): GEN is a hostile.py
# generator or "-" for tests/hostile/NAME.yaml; @IN@ in the arguments is the
# input's path.
function(sim_hostile name gen codes regex)
  if(gen STREQUAL "-")
    set(in ${SIM_HOSTILE}/${name}.yaml)
    set(genargs)
  else()
    set(in ${SIM_HOSTILE_GEN}/${name}.yaml)
    set(genargs --gen ${gen} ${in})
  endif()
  set(args)
  foreach(a IN LISTS ARGN)
    if(a STREQUAL "@IN@")
      list(APPEND args ${in})
    else()
      list(APPEND args ${a})
    endif()
  endforeach()
  add_test(NAME hostile.${name}
           COMMAND ${Python3_EXECUTABLE} ${SIM_TOOLS}/hostile.py
                   ${SIM_HOSTILE_BOUNDS} ${genargs} ${codes} "${regex}" --
                   $<TARGET_FILE:rddsim> ${args})
  set_tests_properties(hostile.${name} PROPERTIES LABELS hostile)
endfunction()
sim_hostile(deep-nesting deep 2 "deep-nesting.yaml:2:[0-9]+: nesting deeper than 64" check @IN@)
sim_hostile(flow-50mb flow50 2 "flow-50mb.yaml: is [0-9]+ bytes; a scenario file has at most 16777216" check @IN@)
sim_hostile(flow-15mb flow15 2 "flow-15mb.yaml:2:[0-9]+: more than 1000000 YAML nodes" check @IN@)
sim_hostile(map-200k-keys keys200k 2 "map-200k-keys.yaml:200003:3: duplicate key 'k0'" check @IN@)
sim_hostile(alias-bomb - 2 "alias-bomb.yaml:4:8: anchors and aliases are not supported" check @IN@)
sim_hostile(raw-nul nul 2 "raw-nul.yaml:1:8: control characters are not allowed" check @IN@)
sim_hostile(bad-utf8-line5 bad-utf8 2 "bad-utf8-line5.yaml:5:19: invalid trailing UTF-8 octet" check @IN@)
sim_hostile(utf16-bom utf16 2 "utf16-bom.yaml:1:1: .*UTF-16 byte-order mark" check @IN@)
sim_hostile(utf16-no-bom utf16le 2 "utf16-no-bom.yaml:1:2: control characters are not allowed" check @IN@)
sim_hostile(binary binary 2 "binary.yaml:1:1: control characters are not allowed" check @IN@)
sim_hostile(dev-zero - 2 "/dev/zero: is larger than 16777216 bytes" check /dev/zero)
sim_hostile(directory - 2 "hostile: is a directory" check ${SIM_HOSTILE})
sim_hostile(overflow-duration-ns - 2 "overflow-duration-ns.yaml:4:11: duration '18446744073709551616ns' is out of range" check @IN@)
sim_hostile(overflow-duration-h - 2 "overflow-duration-h.yaml:4:11: duration '5124095.9h' is out of range" check @IN@)
sim_hostile(fraction-h - 0 "sim_time=4044.444408000s" run @IN@)
sim_hostile(seed-octal - 2 "seed-octal.yaml:4:7: seed '010' has a leading zero" check @IN@)
sim_hostile(seed-hex - 2 "seed-hex.yaml:4:7: seed '0x10' looks hexadecimal" check @IN@)
sim_hostile(seed-overflow - 2 "seed-overflow.yaml:4:7: seed '18446744073709551616' is out of range" check @IN@)
sim_hostile(chance-negative - 2 "chance-negative.yaml:6:37: chance '1/-50' is negative" check @IN@)
sim_hostile(chance-long - 2 "chance-long.yaml:6:37: chance '1/9+' is out of range" check @IN@)
sim_hostile(name-empty - 2 "name-empty.yaml:2:7: name must not be empty" check @IN@)
sim_hostile(target-nothing - 2 "target-nothing.yaml:8:43: fault target 'ddd' names no daemon" run @IN@)
sim_hostile(dup-count - 2 "dup-count.yaml:9:16: container 'web-2' clashes with container 'web'" run @IN@)
sim_hostile(dup-volume - 2 "dup-volume.yaml:7:21: volume 'data' is defined twice" run @IN@)
sim_hostile(dup-tag - 2 "dup-tag.yaml:9:28: tag 'nginx:1' is already on an image" run @IN@)
sim_hostile(uaf-start-after-end - 2 "uaf-start-after-end.yaml:6:12: an instance's start '2s' is after the end" run @IN@)
sim_hostile(uaf-start-near-end - 0 "(?s)(?=.*uaf-start-near-end.yaml:7:12: warning: [^\n]*last second).*result=MATCH" run @IN@)
sim_hostile(uaf-owner-after-end - 2 "uaf-owner-after-end.yaml:8:47: an owner's start '8s' is after the end" run @IN@)
sim_hostile(uaf-svc-start-near-end - 0 "(?s)(?=.*uaf-svc-start-near-end.yaml:9:10: warning: [^\n]*last second).*result=MATCH" run @IN@)
sim_hostile(uaf-duration-zero - 2 "uaf-duration-zero.yaml:4:11: duration must be longer than 0s" run @IN@)
# 100000 containers take 1 s and 160 MB in release but about a minute and
# 1.6 GB under ASan (redzones, quarantine): the bound is the release one.
if(NOT SIM_SANITIZE)
  sim_hostile(count-100000 - 0,1 "verdict: scenario=count-100000 .*events=[0-9]+" run @IN@ --no-expect)
endif()

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
         COMMAND ${Python3_EXECUTABLE} ${SIM_TOOLS}/expect.py 0 "^svc.delete +rdd svc delete" --
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

# The kernel benchmarks print the reference values of docs/benchmarks.md.
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
