/*
 * dockerctx.h: RDD's Docker context management (docker_context.go and
 * engine_reconciler.go:335-431, rdd-behavior.md §5).  STUB: being written.
 */
#ifndef RDD_DOCKERCTX_H
#define RDD_DOCKERCTX_H

typedef struct rdd_instance rdd_instance_t;

typedef struct {
    int placeholder;
} rdd_dctx_t;

#endif
