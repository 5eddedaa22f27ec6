/*
 * cli_list.c: rddsim list KIND and rddsim check FILE ...
 *
 * `list actions` prints each timeline action with its keys, their types
 * and defaults from the table below, which follows parse_timeline in
 * sim/scenario/scenario.c key by key; an action missing from it is listed
 * as "keys not documented" (and the cli.list-actions test fails).
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "rdd/flags.h"
#include "sim/alloc.h"
#include "sim/fault.h"
#include "sim/invariant.h"

/* check --------------------------------------------------------------------*/

int cli_check(int argc, char **argv)
{
    cli_args_t a;
    const char *val = NULL;
    char msg[1024];
    int k, worst = 0, nfiles = 0;
    scenario_t *sc;
    cli_args_init(&a, "check", argc, argv, NULL, 0);
    if (!(sc = sim__calloc(1, sizeof(*sc))))
        return EXIT_INTERNAL;
    while ((k = cli_next(&a, &val)) != CLI_END) {
        int rc;
        if (k == CLI_ERR || k == CLI_HELP) {
            sim__free(sc);
            return k == CLI_HELP ? cli_help("check", stdout) : EXIT_USAGE;
        }
        nfiles++;
        rc = cli_load(val, sc, msg, sizeof(msg));
        if (rc == 0)
            printf("%s: ok (%d variant%s)\n", val, sc->nvariants,
                   sc->nvariants == 1 ? "" : "s");
        else
            fprintf(stderr, "%s\n", msg);
        worst = rc > worst ? rc : worst;
    }
    sim__free(sc);
    if (!nfiles)
        return cli_usage("check", "needs at least one scenario FILE");
    return worst;
}

/* actions ------------------------------------------------------------------*/

typedef struct {
    const char *key, *type, *dflt;
} key_doc_t;

typedef struct {
    const char *act, *what;
    key_doc_t k[7];
} act_doc_t;

#define INSTANCE                                                               \
    {"instance", "RDD_INSTANCE value (\"unset\": none)", "required"}
#define MIRROR_KIND {"kind", "Container | Image | Volume", "required"}
#define PROC                                                                   \
    {"proc", "hostagent | service | driver", "required unless pid"},           \
    {"pid", "1..4294967295 (then instance is optional)", "-"}

static const act_doc_t act_docs[] = {
    {"kube.delete", "a user deletes a mirror in RDD's API",
     {INSTANCE, MIRROR_KIND,
      {"docker_name", "string: the mirror's status.name (repoTag for "
                      "images)", "required"}}},
    {"owner.start", "a pipe owner starts", {{"owner", "owner name",
                                             "required"}}},
    {"owner.stop", "a pipe owner stops", {{"owner", "owner name",
                                           "required"}}},
    {"owner.crash", "an owner process dies (its handles close)",
     {{"owner", "owner name", "required"}}},
    {"vm.stop", "the instance's VM stops", {INSTANCE}},
    {"vm.start", "the instance's VM starts", {INSTANCE}},
    {"docker.rm", "docker rm [-f] on a daemon, as its user",
     {{"daemon", "daemon name", "required unless instance"},
      {"instance", "RDD_INSTANCE value: that instance's VM daemon", "-"},
      {"container", "string", "required"},
      {"force", "bool", "false"}}},
    {"docker.run", "docker run -d on a daemon",
     {{"daemon", "daemon name", "required unless instance"},
      {"instance", "RDD_INSTANCE value: that instance's VM daemon", "-"},
      {"container", "string", "required"},
      {"image", "string", "busybox:latest"}}},
    {"app.patch", "merge-patch App.spec (kubectl patch)",
     {INSTANCE, {"key", "spec key (not namespace)", "required"},
      {"value", "string", "required"}}},
    {"kube.create", "a user creates a Container/Image/Volume object",
     {INSTANCE, MIRROR_KIND, {"name", "string", "required"}}},
    {"rdd.set", "rdd set running=true|false, waiting on Settled (no every)",
     {INSTANCE, {"running", "bool", "required"},
      {"timeout", "duration", "5m"}}},
    {"svc.start", "rdd svc start",
     {INSTANCE, {"exe", "path: the executable it now runs from",
                 "the instance's"}}},
    {"svc.stop", "rdd svc stop",
     {INSTANCE, {"console", "bool: Ctrl+C reaches the service (false: "
                            "TerminateProcess)", "true"}}},
    {"svc.delete", "rdd svc delete",
     {INSTANCE, {"console", "bool: Ctrl+C reaches the service (false: "
                            "TerminateProcess)", "true"}}},
    {"proc.kill", "kill one of an instance's processes", {INSTANCE, PROC}},
    {"proc.exit", "one of an instance's processes exits by itself",
     {INSTANCE, PROC, {"code", "0..255", "0"}}},
    {"proc.spawn", "an unrelated process starts (pid reuse, H14)",
     {{"pid", "1..4294967295", "required"}, {"exe", "path", "required"},
      {"name", "string", "process"}}},
    {"fs.hold", "a process opens a file and keeps it open",
     {INSTANCE, PROC, {"path", "path (relative: under ShortDir)",
                       "required"}}},
    {"fs.release", "the process closes the file",
     {INSTANCE, PROC, {"path", "path (relative: under ShortDir)",
                       "required"}}},
    {"wsl.start", "wsl -d DISTRO (a keep-alive)",
     {{"distro", "string", "required"}}},
    {"wsl.terminate", "wsl --terminate DISTRO",
     {{"distro", "string", "required"}}},
    {"pipe.hold", "a client opens a pipe and holds it (no every)",
     {{"pipe", "pipe name", "\\\\.\\pipe\\docker_engine"},
      {"for", "duration", "required"}}},
    {"hostswitch.die", "an errgroup error ends the host-switch (H4)",
     {INSTANCE}},
    {"docker.context.use", "the user's docker context use NAME",
     {{"name", "string", "required"},
      {"config", "dir: DOCKER_CONFIG", "~/.docker"}}},
    {"docker.context.seed", "the user creates a context (BATS test 40)",
     {{"name", "string", "required"}, {"host", "endpoint", "required"},
      {"config", "dir: DOCKER_CONFIG", "~/.docker"}}},
    {"bats.setup", "engine-docker.bats local_setup_file", {INSTANCE}},
    {"bats.test37", "engine-docker.bats test 37's meta.json check",
     {INSTANCE}},
    {"app.delete", "kubectl delete app app", {INSTANCE}},
    {"rdd.ctl", "rdd ctl get|delete|patch KIND NAME through the kubeconfig",
     {INSTANCE, {"verb", "get | delete | patch", "required"},
      {"kind", "kube kind: App, Container, LimaVM, ...", "required"},
      {"name", "string", "required"},
      {"namespace", "string", "default (App: none)"},
      {"key", "patch: spec key", "required with patch"},
      {"value", "patch: string", "required with patch"}}},
    {"docker.api", "one Engine API call on a daemon, as its user",
     {{"daemon", "daemon name", "required unless instance"},
      {"instance", "RDD_INSTANCE value: that instance's VM daemon", "-"},
      {"op", "an Engine write: ContainerStop, ImageRemove ...",
       "required"},
      {"ref", "container id or name, image ref, volume name", "required"},
      {"force", "bool", "false"}}},
};

static void list_actions(void)
{
    int i;
    size_t d, k;
    printf("every step: at (duration, required); every (duration >= 1ms: "
           "repeat); until (duration, with every; default: the run's "
           "end); do (the action)\n\n");
    for (i = 0; i < SC_ACT__COUNT; i++) {
        const char *name = sc_act_name((sc_act_kind_t)i);
        for (d = 0; d < sizeof(act_docs) / sizeof(act_docs[0]); d++)
            if (!strcmp(act_docs[d].act, name))
                break;
        if (d == sizeof(act_docs) / sizeof(act_docs[0])) {
            printf("%s\n    (keys not documented)\n", name);
            continue;
        }
        printf("%-20s %s\n", name, act_docs[d].what);
        for (k = 0; k < 6 && act_docs[d].k[k].key; k++)
            printf("    %-12s %-52s %s\n", act_docs[d].k[k].key,
                   act_docs[d].k[k].type, act_docs[d].k[k].dflt);
    }
}

/* the other kinds ----------------------------------------------------------*/

static void list_presets(void)
{
    int i, f;
    printf("presets:\n");
    for (i = 0; i < rdd_presets_len; i++) {
        int first = 1;
        printf("  %-8s %s\n           flags:", rdd_presets[i].name,
               rdd_presets[i].what);
        for (f = 0; f < RDD_FLAG__COUNT; f++)
            if (rdd_presets[i].flags & RDD_FLAG_BIT(f)) {
                printf("%s%s", first ? " " : ", ",
                       rdd_flag_name((rdd_flag_t)f));
                first = 0;
            }
        printf("%s\n", first ? " (none)" : "");
    }
}

static void list_flags(const char *indent)
{
    int i;
    for (i = 0; i < RDD_FLAG__COUNT; i++)
        printf("%s%-30s [%s] %s\n", indent, rdd_flag_name((rdd_flag_t)i),
               rdd_flag_review((rdd_flag_t)i), rdd_flag_what((rdd_flag_t)i));
}

/* The names --variant takes for FILE, one a line. */
static int list_file_variants(const char *file)
{
    scenario_t *sc = sim__calloc(1, sizeof(*sc));
    char msg[1024];
    int rc, i;
    if (!sc)
        return EXIT_INTERNAL;
    if ((rc = cli_load(file, sc, msg, sizeof(msg))) != 0) {
        fprintf(stderr, "%s\n", msg);
        sim__free(sc);
        return rc;
    }
    for (i = 0; i < sc->nvariants; i++)
        printf("%s\n", sc->variants[i].name);
    for (i = 0; i < rdd_presets_len && !sc->is_matrix; i++)
        if (!scenario_variant(sc, rdd_presets[i].name))
            printf("%s\n", rdd_presets[i].name);
    sim__free(sc);
    return 0;
}

/* "S2" before "S10" before "L1" before "B1". */
static int inv_before(size_t a, size_t b)
{
    const char *x = sim_inv_catalogue[a].id, *y = sim_inv_catalogue[b].id;
    static const char rank[] = "SLB";
    const char *rx = strchr(rank, x[0]), *ry = strchr(rank, y[0]);
    int kx = rx ? (int)(rx - rank) : 3, ky = ry ? (int)(ry - rank) : 3;
    if (kx != ky)
        return kx < ky;
    return atoi(x + 1) < atoi(y + 1);
}

static void list_invariants(void)
{
    /* Safety, then liveness, then ours, each by number. */
    size_t order[SIM_INV_MAX], n = sim_inv_catalogue_len, k, j;
    if (n > SIM_INV_MAX)
        n = SIM_INV_MAX;
    for (k = 0; k < n; k++)
        order[k] = k;
    for (k = 1; k < n; k++)
        for (j = k; j > 0 && inv_before(order[j], order[j - 1]); j--) {
            size_t t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    for (k = 0; k < n; k++) {
        const sim_inv_info_t *e = &sim_inv_catalogue[order[k]];
        printf("%-4s %-32s %s\n", e->id, e->title, e->what);
    }
}

static const char *const kinds[] = {"variants", "flags", "faults",
                                    "invariants", "actions"};
#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

int cli_list(int argc, char **argv)
{
    cli_args_t a;
    const char *val = NULL, *what = NULL, *file = NULL;
    int k;
    cli_args_init(&a, "list", argc, argv, NULL, 0);
    while ((k = cli_next(&a, &val)) != CLI_END) {
        if (k == CLI_ERR)
            return EXIT_USAGE;
        if (k == CLI_HELP)
            return cli_help("list", stdout);
        if (!what)
            what = val;
        else if (!file && !strcmp(what, "variants"))
            file = val;
        else
            return cli_usage("list", "%s: one KIND (and for variants one "
                                     "FILE)", val);
    }
    if (!what) {
        printf("rddsim list KIND, where KIND is one of:\n");
        printf("  variants [FILE]  presets (or the variants of FILE)\n"
               "  flags            every flag of a variant\n"
               "  faults           every fault site\n"
               "  invariants       every invariant\n"
               "  actions          every timeline action and its keys\n");
        return 0;
    }
    if (!strcmp(what, "variants") && file)
        return list_file_variants(file);
    if (!strcmp(what, "variants")) {
        list_presets();
        printf("flags:\n");
        list_flags("  ");
        return 0;
    }
    if (!strcmp(what, "flags")) {
        list_flags("");
        return 0;
    }
    if (!strcmp(what, "faults")) {
        for (k = 0; k < SIM_FAULT__COUNT; k++)
            printf("%-36s %s\n", sim_fault_name((sim_fault_site_t)k),
                   sim_fault_what((sim_fault_site_t)k));
        return 0;
    }
    if (!strcmp(what, "actions")) {
        list_actions();
        return 0;
    }
    if (!strcmp(what, "invariants")) {
        list_invariants();
        return 0;
    }
    fprintf(stderr, "rddsim list: no kind '%s'\n", what);
    cli_print_choices(stderr, what, kinds, NKINDS);
    return EXIT_USAGE;
}
