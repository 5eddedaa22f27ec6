/*
 * docker.c: the small pieces of docker.h that are not the daemon's
 * lifecycle or containers: op names, SHA-256, and the image and volume
 * stores with moby's removal rules (daemon/images/image_delete.go and
 * daemon/volume/service/service.go), their messages verbatim.
 *
 * Left out: digests (RepoDigests), parent images (so no "image has dependent
 * child images" conflict), reference normalisation beyond an implied
 * ":latest" (no "docker.io/library/"), volume mounts (a volume is in use only
 * through the dock.volume.rm_in_use fault), drivers other than "local".
 */
#include <stdio.h>
#include <string.h>

#include <nettle/sha2.h>

#include "docker/docker_int.h"
#include "sim/alloc.h"
#include "sim/assert.h"
#include "sim/errno.h"
#include "sim/fault.h"

/* names ------------------------------------------------------------------*/

static const char *const op_names[] = {
    [DOCK_OP_PING] = "Ping",
    [DOCK_OP_INFO] = "Info",
    [DOCK_OP_CONTAINER_LIST] = "ContainerList",
    [DOCK_OP_CONTAINER_INSPECT] = "ContainerInspect",
    [DOCK_OP_CONTAINER_REMOVE] = "ContainerRemove",
    [DOCK_OP_CONTAINER_START] = "ContainerStart",
    [DOCK_OP_CONTAINER_STOP] = "ContainerStop",
    [DOCK_OP_CONTAINER_PAUSE] = "ContainerPause",
    [DOCK_OP_CONTAINER_UNPAUSE] = "ContainerUnpause",
    [DOCK_OP_CONTAINER_RESTART] = "ContainerRestart",
    [DOCK_OP_IMAGE_LIST] = "ImageList",
    [DOCK_OP_IMAGE_INSPECT] = "ImageInspect",
    [DOCK_OP_IMAGE_REMOVE] = "ImageRemove",
    [DOCK_OP_VOLUME_LIST] = "VolumeList",
    [DOCK_OP_VOLUME_INSPECT] = "VolumeInspect",
    [DOCK_OP_VOLUME_REMOVE] = "VolumeRemove",
    [DOCK_OP_EVENTS] = "Events",
    [DOCK_OP_CONTAINER_CREATE] = "ContainerCreate",
};

/* The Go client's method name for op ("ContainerRemove"); "Unknown" for a
 * value outside dock_op_t, so a garbage request still traces. */
const char *dock_op_name(dock_op_t op)
{
    if ((int)op <= 0 || (size_t)op >= SIM_ARRAY_LEN(op_names) || !op_names[op])
        return "Unknown";
    return op_names[op];
}

/* dock_op_name's inverse. */
int dock_op_by_name(const char *name)
{
    size_t i;
    for (i = 1; i < SIM_ARRAY_LEN(op_names); i++)
        if (op_names[i] && !strcmp(op_names[i], name))
            return (int)i;
    return -1;
}

/* True for the calls RDD must only make against its own daemon (the call
 * log records exactly these; docs/rdd/docker-watcher.md). */
int dock_op_mutating(dock_op_t op)
{
    switch (op) {
    case DOCK_OP_CONTAINER_REMOVE:
    case DOCK_OP_CONTAINER_START:
    case DOCK_OP_CONTAINER_STOP:
    case DOCK_OP_CONTAINER_PAUSE:
    case DOCK_OP_CONTAINER_UNPAUSE:
    case DOCK_OP_CONTAINER_RESTART:
    case DOCK_OP_IMAGE_REMOVE:
    case DOCK_OP_VOLUME_REMOVE:
    case DOCK_OP_CONTAINER_CREATE:
        return 1;
    default:
        return 0;
    }
}

/* hex(SHA-256(buf)) with nettle, the same digest Docker and RDD use for IDs
 * and mirror names. */
void dock_sha256_hex(const void *buf, size_t len, char out[65])
{
    static const char hex[] = "0123456789abcdef";
    struct sha256_ctx ctx;
    uint8_t dig[SHA256_DIGEST_SIZE];
    size_t i;
    sha256_init(&ctx);
    sha256_update(&ctx, len, buf);
    sha256_digest(&ctx, sizeof(dig), dig);
    for (i = 0; i < sizeof(dig); i++) {
        out[2 * i] = hex[dig[i] >> 4];
        out[2 * i + 1] = hex[dig[i] & 0xf];
    }
    out[64] = 0;
}

/* images -----------------------------------------------------------------*/

/* isImageIDPrefix of image_delete.go. */
static int id_has_prefix(const char *id, const char *ref)
{
    const char *c = strchr(id, ':');
    return dock__has_prefix(id, ref) || (c && dock__has_prefix(c + 1, ref));
}

/* GetImage's order: full ID, then tag, then ID prefix.  *by_tag (may be
 * NULL) gets the tag index when a tag matched, else -1.  -1 if none. */
long dock__img_index(const dock_daemon_t *cd, const char *ref, int *by_tag)
{
    dock_daemon_t *d = (dock_daemon_t *)cd; /* the indexes are caches */
    char buf[DOCK_REF_MAX + 16];
    const char *slash;
    size_t i, nt = d->nimgs * DOCK_TAGS_MAX;
    long k, a, b;
    if (by_tag)
        *by_tag = -1;
    if (!ref || !ref[0])
        return -1;
    if ((k = dock__ix_find(&d->ix_img_id, d, dock__key_img_id, d->nimgs,
                           ref)) >= 0)
        return k;
    if (strlen(ref) + 8 < sizeof(buf)) {
        snprintf(buf, sizeof(buf), "sha256:%s", ref);
        if ((k = dock__ix_find(&d->ix_img_id, d, dock__key_img_id, d->nimgs,
                               buf)) >= 0)
            return k;
    }
    /* tag_matches: the tag itself, or ref:latest when ref has no tag; the
     * first in (image, tag) order wins, as the scan did. */
    a = dock__ix_find(&d->ix_img_tag, d, dock__key_img_tag, nt, ref);
    b = -1;
    slash = strrchr(ref, '/');
    if (!strchr(slash ? slash : ref, ':') &&
        strlen(ref) + 8 < sizeof(buf)) {
        snprintf(buf, sizeof(buf), "%s:latest", ref);
        b = dock__ix_find(&d->ix_img_tag, d, dock__key_img_tag, nt, buf);
    }
    if (a < 0 || (b >= 0 && b < a))
        a = b;
    if (a >= 0) {
        if (by_tag)
            *by_tag = (int)(a % DOCK_TAGS_MAX);
        return a / DOCK_TAGS_MAX;
    }
    for (i = 0; i < d->nimgs; i++)
        if (id_has_prefix(d->imgs[i].id, ref))
            return (long)i;
    return -1;
}

static void img_untag(dock_daemon_t *d, dock_image_t *im, int t)
{
    memmove(im->tags[t], im->tags[t + 1],
            (size_t)(im->ntags - t - 1) * sizeof(im->tags[0]));
    im->ntags--;
    dock__ix_stale(&d->ix_img_tag);
    dock__emit(d, "image", "untag", im->id);
}

/* Takes tag away from whichever image has it (docker pull moves tags). */
static void tag_take(dock_daemon_t *d, const char *tag)
{
    long k = dock__ix_find(&d->ix_img_tag, d, dock__key_img_tag,
                           d->nimgs * DOCK_TAGS_MAX, tag);
    if (k >= 0)
        img_untag(d, &d->imgs[k / DOCK_TAGS_MAX], (int)(k % DOCK_TAGS_MAX));
}

/* Adds an image with the given ID ("sha256:<64 hex>", or NULL to derive it
 * from the first tag) and tags; a tag another image had moves here.  Emits
 * pull per tag with the tag as Actor.ID, as moby's pull does.  Returns 0,
 * SIM_EINVAL (no ID and no tag, too many tags, bad ID), SIM_EEXIST (the ID
 * is present) or SIM_ENOMEM. */
int dock_image_add(dock_daemon_t *d, const char *id, const char *const *tags,
                   int ntags)
{
    dock_image_t *im;
    char idbuf[DOCK_ID_MAX];
    char hex[65];
    size_t i;
    int t;
    if (ntags < 0 || ntags > DOCK_TAGS_MAX || (!id && ntags == 0))
        return SIM_EINVAL;
    for (t = 0; t < ntags; t++)
        if (!tags[t] || !tags[t][0] || strlen(tags[t]) >= DOCK_REF_MAX)
            return SIM_EINVAL;
    if (id && (!dock__has_prefix(id, "sha256:") || strlen(id) != 71))
        return SIM_EINVAL;
    if (!id) {
        dock_sha256_hex(tags[0], strlen(tags[0]), hex);
        snprintf(idbuf, sizeof(idbuf), "sha256:%s", hex);
        id = idbuf;
    }
    if (dock__ix_find(&d->ix_img_id, d, dock__key_img_id, d->nimgs, id) >= 0)
        return SIM_EEXIST;
    if (dock__grow((void **)&d->imgs, &d->capimgs, d->nimgs + 1,
                   sizeof(*d->imgs)))
        return SIM_ENOMEM;
    for (t = 0; t < ntags; t++)
        tag_take(d, tags[t]);
    im = &d->imgs[d->nimgs++];
    memset(im, 0, sizeof(*im));
    dock__copy_str(im->id, sizeof(im->id), id);
    for (t = 0; t < ntags; t++)
        dock__copy_str(im->tags[im->ntags++], DOCK_REF_MAX, tags[t]);
    im->created_ns = (int64_t)sim_now(d->loop);
    i = d->nimgs - 1;
    (void)dock__ix_add(&d->ix_img_id, d, dock__key_img_id, d->nimgs,
                       (uint32_t)i);
    for (t = 0; t < im->ntags; t++)
        (void)dock__ix_add(&d->ix_img_tag, d, dock__key_img_tag,
                           d->nimgs * DOCK_TAGS_MAX,
                           (uint32_t)(i * DOCK_TAGS_MAX + (size_t)t));
    for (t = 0; t < ntags; t++)
        dock__emit(d, "image", "pull", tags[t]);
    return 0;
}

/* Finds an image by ID, tag ("nginx" means "nginx:latest") or ID prefix. */
const dock_image_t *dock_image_find(const dock_daemon_t *d, const char *ref)
{
    long i = dock__img_index(d, ref, NULL);
    return i < 0 ? NULL : &d->imgs[i];
}

/* Number of images, dangling ones included. */
size_t dock_image_count(const dock_daemon_t *d)
{
    return d->nimgs;
}

static const dock_container_t *img_user(const dock_daemon_t *d,
                                        const char *img_id, int running)
{
    size_t i;
    for (i = 0; i < d->nctrs; i++)
        if (strcmp(d->ctrs[i].image_id, img_id) == 0 &&
            (running < 0 || dock__ctr_running(&d->ctrs[i]) == running))
            return &d->ctrs[i];
    return NULL;
}

/* checkImageDeleteConflict: hard = running user; soft = tags left
 * (active_ref) or a stopped user.  Returns 1 and fills res on a conflict;
 * *used tells whether a container caused it. */
static int img_conflict(const dock_daemon_t *d, const dock_image_t *im,
                        int soft, int active_ref, int *used, dock__res_t *res)
{
    const dock_container_t *c;
    char sid[13], scid[13];
    dock__short_id(im->id, sid);
    *used = 1;
    if ((c = img_user(d, im->id, 1))) {
        dock__short_id(c->id, scid);
        dock__res_set(res, 409, SIM_ECONFLICT,
                      "conflict: unable to delete "
                      "%s (cannot be forced) - image is being used by "
                      "running container %s",
                      sid, scid);
        return 1;
    }
    *used = 0;
    if (soft && active_ref && im->ntags > 0) {
        dock__res_set(res, 409, SIM_ECONFLICT,
                      "conflict: unable to delete "
                      "%s (must be forced) - image is referenced in multiple "
                      "repositories",
                      sid);
        return 1;
    }
    if (soft && (c = img_user(d, im->id, 0))) {
        *used = 1;
        dock__short_id(c->id, scid);
        dock__res_set(res, 409, SIM_ECONFLICT,
                      "conflict: unable to delete "
                      "%s (must be forced) - image is being used by stopped "
                      "container %s",
                      sid, scid);
        return 1;
    }
    return 0;
}

/* The dock.image.rm_conflict fault: Docker's soft conflict text, naming a
 * container that uses the image, else one derived from the image ID. */
static void img_fault_conflict(const dock_daemon_t *d, const dock_image_t *im,
                               dock__res_t *res)
{
    const dock_container_t *c = img_user(d, im->id, -1);
    char sid[13], scid[13], hex[65];
    dock__short_id(im->id, sid);
    if (c) {
        dock__short_id(c->id, scid);
    } else {
        dock_sha256_hex(im->id, strlen(im->id), hex);
        dock__short_id(hex, scid);
    }
    dock__res_set(res, 409, SIM_ECONFLICT,
                  "conflict: unable to delete %s "
                  "(must be forced) - image is being used by stopped "
                  "container %s",
                  sid, scid);
}

/* imageDeleteHelper: untag what is left, then delete. */
static void img_delete(dock_daemon_t *d, long i, int force, int quiet,
                       dock__res_t *res)
{
    dock_image_t *im = &d->imgs[i];
    char id[DOCK_ID_MAX];
    int used;
    if (img_conflict(d, im, !force, 1, &used, res)) {
        if (quiet && (im->ntags > 0 || used))
            dock__res_ok(res, 200); /* untagged, image kept */
        return;
    }
    while (im->ntags > 0)
        img_untag(d, im, 0);
    dock__copy_str(id, sizeof(id), im->id);
    memmove(&d->imgs[i], &d->imgs[i + 1],
            (d->nimgs - (size_t)i - 1) * sizeof(*d->imgs));
    d->nimgs--;
    dock__ix_stale(&d->ix_img_id);
    dock__ix_stale(&d->ix_img_tag);
    dock__emit(d, "image", "delete", id);
    dock__res_ok(res, 200);
}

/* ImageDelete of image_delete.go (no digests, no parents). */
void dock__image_remove(dock_daemon_t *d, const char *ref, int force, int api,
                        dock__res_t *res)
{
    int tag, used;
    long i = dock__img_index(d, ref, &tag);
    dock_image_t *im;
    char sid[13], scid[13];
    if (i < 0) {
        dock__res_set(res, 404, SIM_ENOTFOUND, "No such image: %s", ref);
        return;
    }
    im = &d->imgs[i];
    if (!force && api && SIM_FAULT(d->loop, DOCK_IMAGE_RM_CONFLICT, d->name)) {
        img_fault_conflict(d, im, res);
        return;
    }
    if (!id_has_prefix(im->id, ref) && tag >= 0) {
        const dock_container_t *c = img_user(d, im->id, -1);
        if (!force && im->ntags == 1 && c) {
            dock__short_id(im->id, sid);
            dock__short_id(c->id, scid);
            dock__res_set(res, 409, SIM_ECONFLICT,
                          "conflict: unable to "
                          "remove repository reference \"%s\" (must force) - "
                          "container %s is using its referenced image %s",
                          ref, scid, sid);
            return;
        }
        img_untag(d, im, tag);
        dock__res_ok(res, 200);
        if (im->ntags == 0)
            img_delete(d, i, force, 1, res);
        return;
    }
    if (im->ntags == 1) {
        if (img_conflict(d, im, !force, 0, &used, res))
            return;
        img_untag(d, im, 0);
    }
    img_delete(d, i, force, 0, res);
}

/* volumes ----------------------------------------------------------------*/

static long vol_index(const dock_daemon_t *cd, const char *name)
{
    dock_daemon_t *d = (dock_daemon_t *)cd; /* the index is a cache */
    return dock__ix_find(&d->ix_vol, d, dock__key_vol, d->nvols, name);
}

/* Adds a local volume (create event).  0, SIM_EEXIST, SIM_EINVAL (empty or
 * over-long name) or SIM_ENOMEM. */
int dock_volume_add(dock_daemon_t *d, const char *name)
{
    dock_volume_t *v;
    if (!name || !name[0] || strlen(name) >= DOCK_REF_MAX)
        return SIM_EINVAL;
    if (vol_index(d, name) >= 0)
        return SIM_EEXIST;
    if (dock__grow((void **)&d->vols, &d->capvols, d->nvols + 1,
                   sizeof(*d->vols)))
        return SIM_ENOMEM;
    v = &d->vols[d->nvols++];
    memset(v, 0, sizeof(*v));
    dock__copy_str(v->name, sizeof(v->name), name);
    dock__copy_str(v->driver, sizeof(v->driver), "local");
    snprintf(v->mountpoint, sizeof(v->mountpoint),
             "/var/lib/docker/volumes/%s/_data", name);
    v->created_ns = (int64_t)sim_now(d->loop);
    (void)dock__ix_add(&d->ix_vol, d, dock__key_vol, d->nvols,
                       (uint32_t)(d->nvols - 1));
    dock__emit(d, "volume", "create", name);
    return 0;
}

/* Finds a volume by exact name. */
const dock_volume_t *dock_volume_find(const dock_daemon_t *d, const char *name)
{
    long i = vol_index(d, name);
    return i < 0 ? NULL : &d->vols[i];
}

/* Number of volumes. */
size_t dock_volume_count(const dock_daemon_t *d)
{
    return d->nvols;
}

/* VolumesService.Remove: absent is 404 `get <name>: no such volume`, but
 * 204 with force (PurgeOnError); in use is 409 `remove <name>: volume is in
 * use` whatever force says. */
void dock__volume_remove(dock_daemon_t *d, const char *name, int force, int api,
                         dock__res_t *res)
{
    long i = vol_index(d, name);
    if (i < 0) {
        if (force)
            dock__res_ok(res, 204);
        else
            dock__res_set(res, 404, SIM_ENOTFOUND, "get %s: no such volume",
                          name);
        return;
    }
    if (api && SIM_FAULT(d->loop, DOCK_VOLUME_RM_IN_USE, d->name)) {
        dock__res_set(res, 409, SIM_ECONFLICT, "remove %s: volume is in use",
                      name);
        return;
    }
    memmove(&d->vols[i], &d->vols[i + 1],
            (d->nvols - (size_t)i - 1) * sizeof(*d->vols));
    d->nvols--;
    dock__ix_stale(&d->ix_vol);
    dock__emit(d, "volume", "destroy", name);
    dock__res_ok(res, 204);
}
