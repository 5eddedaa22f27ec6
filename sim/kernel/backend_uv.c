/*
 * backend_uv.c: the one file that includes <uv.h>.  Today it gives the CLI
 * wall time, peak RSS and an OS seed; a real-I/O loop backend (uv_timer_t,
 * uv_pipe_t under sim_timer_t and sim_stream_t) belongs here too, using only
 * the libuv 1.44 API.
 */
#include <uv.h>

#include "sim/wall.h"

uint64_t sim_wall_ns(void)
{
    return uv_hrtime();
}

uint64_t sim_maxrss_kb(void)
{
    uv_rusage_t ru;
    if (uv_getrusage(&ru) != 0)
        return 0;
    return (uint64_t)ru.ru_maxrss;
}

uint64_t sim_os_seed(void)
{
    uint64_t s = 0;
    if (uv_random(NULL, NULL, &s, sizeof(s), 0, NULL) != 0)
        s = uv_hrtime();
    return s;
}
