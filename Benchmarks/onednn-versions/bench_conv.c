// Times oneDNN forward-inference convolutions (NHWC activations, weights in the primitive's preferred format, bias,
// fused activation) for a list of layers read from stdin; prints the sum of per-layer medians. Builds against the
// oneDNN 2.x and 3.x C APIs.
#include <oneapi/dnnl/dnnl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CHECK(x) do { dnnl_status_t s_ = (x); if (s_ != dnnl_success) { fprintf(stderr, "%s failed: %d\n", #x, s_); exit(1); } } while (0)

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1e3 + t.tv_nsec / 1e6; }
static int cmp(const void *a, const void *b) { double x = *(const double *)a, y = *(const double *)b; return x < y ? -1 : x > y; }

int main(int argc, char **argv) {
    int runs = argc > 1 ? atoi(argv[1]) : 200;
    dnnl_engine_t engine; dnnl_stream_t stream;
    CHECK(dnnl_engine_create(&engine, dnnl_cpu, 0));
    CHECK(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags));
    int n, c, h, w, o, kh, kw, sh, sw, pt, pl, pb, pr, g, act;
    double total = 0;
    int layers = 0;
    while (scanf("%d %d %d %d %d %d %d %d %d %d %d %d %d %d %d", &n, &c, &h, &w, &o, &kh, &kw, &sh, &sw, &pt, &pl, &pb, &pr, &g, &act) == 15) {
        int oh = (h + pt + pb - kh) / sh + 1, ow = (w + pl + pr - kw) / sw + 1;
        dnnl_dims_t sd = {n, c, h, w}, dd = {n, o, oh, ow}, bd = {o}, st = {sh, sw}, dl = {0, 0}, pL = {pt, pl}, pR = {pb, pr};
        dnnl_memory_desc_t src, dst, wany, bias, wuser;
        int grouped = g > 1;
#if DNNL_VERSION_MAJOR >= 3
        CHECK(dnnl_memory_desc_create_with_tag(&src, 4, sd, dnnl_f32, dnnl_nhwc));
        CHECK(dnnl_memory_desc_create_with_tag(&dst, 4, dd, dnnl_f32, dnnl_nhwc));
        CHECK(dnnl_memory_desc_create_with_tag(&bias, 1, bd, dnnl_f32, dnnl_x));
        if (grouped) {
            dnnl_dims_t wd = {g, o / g, c / g, kh, kw};
            CHECK(dnnl_memory_desc_create_with_tag(&wany, 5, wd, dnnl_f32, dnnl_format_tag_any));
            CHECK(dnnl_memory_desc_create_with_tag(&wuser, 5, wd, dnnl_f32, dnnl_goihw));
        } else {
            dnnl_dims_t wd = {o, c, kh, kw};
            CHECK(dnnl_memory_desc_create_with_tag(&wany, 4, wd, dnnl_f32, dnnl_format_tag_any));
            CHECK(dnnl_memory_desc_create_with_tag(&wuser, 4, wd, dnnl_f32, dnnl_oihw));
        }
#else
        dnnl_memory_desc_t s0, d0, b0, wa0, wu0;
        CHECK(dnnl_memory_desc_init_by_tag(&s0, 4, sd, dnnl_f32, dnnl_nhwc)); src = s0;
        CHECK(dnnl_memory_desc_init_by_tag(&d0, 4, dd, dnnl_f32, dnnl_nhwc)); dst = d0;
        CHECK(dnnl_memory_desc_init_by_tag(&b0, 1, bd, dnnl_f32, dnnl_x)); bias = b0;
        if (grouped) {
            dnnl_dims_t wd = {g, o / g, c / g, kh, kw};
            CHECK(dnnl_memory_desc_init_by_tag(&wa0, 5, wd, dnnl_f32, dnnl_format_tag_any));
            CHECK(dnnl_memory_desc_init_by_tag(&wu0, 5, wd, dnnl_f32, dnnl_goihw));
        } else {
            dnnl_dims_t wd = {o, c, kh, kw};
            CHECK(dnnl_memory_desc_init_by_tag(&wa0, 4, wd, dnnl_f32, dnnl_format_tag_any));
            CHECK(dnnl_memory_desc_init_by_tag(&wu0, 4, wd, dnnl_f32, dnnl_oihw));
        }
        wany = wa0; wuser = wu0;
#endif
        dnnl_primitive_attr_t attr; dnnl_post_ops_t po;
        CHECK(dnnl_primitive_attr_create(&attr));
        CHECK(dnnl_post_ops_create(&po));
        dnnl_alg_kind_t alg = act == 1 ? dnnl_eltwise_relu : act == 2 ? dnnl_eltwise_hardswish : dnnl_eltwise_clip;
        float beta = act == 3 ? 6.f : 0.f;
#if DNNL_VERSION_MAJOR >= 3
        if (act) CHECK(dnnl_post_ops_append_eltwise(po, alg, 0.f, beta));
#else
        if (act) CHECK(dnnl_post_ops_append_eltwise(po, 1.f, alg, 0.f, beta));
#endif
        CHECK(dnnl_primitive_attr_set_post_ops(attr, po));
        dnnl_primitive_desc_t pd;
#if DNNL_VERSION_MAJOR >= 3
        CHECK(dnnl_convolution_forward_primitive_desc_create(&pd, engine, dnnl_forward_inference, dnnl_convolution_direct, src, wany, bias, dst,
                                                             st, dl, pL, pR, attr));
        const_dnnl_memory_desc_t wpref = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
#else
        dnnl_convolution_desc_t cd;
        CHECK(dnnl_dilated_convolution_forward_desc_init(&cd, dnnl_forward_inference, dnnl_convolution_direct, &src, &wany, &bias, &dst,
                                                         st, dl, pL, pR));
        CHECK(dnnl_primitive_desc_create(&pd, &cd, attr, engine, NULL));
        const dnnl_memory_desc_t *wpref = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
#endif
        dnnl_primitive_t conv; CHECK(dnnl_primitive_create(&conv, pd));
        dnnl_memory_t ms, md, mb, mw, mwu;
#if DNNL_VERSION_MAJOR >= 3
        CHECK(dnnl_memory_create(&ms, src, engine, DNNL_MEMORY_ALLOCATE));
        CHECK(dnnl_memory_create(&md, dst, engine, DNNL_MEMORY_ALLOCATE));
        CHECK(dnnl_memory_create(&mb, bias, engine, DNNL_MEMORY_ALLOCATE));
        CHECK(dnnl_memory_create(&mwu, wuser, engine, DNNL_MEMORY_ALLOCATE));
        CHECK(dnnl_memory_create(&mw, wpref, engine, DNNL_MEMORY_ALLOCATE));
#else
        CHECK(dnnl_memory_create(&ms, &src, engine, DNNL_MEMORY_ALLOCATE));
        CHECK(dnnl_memory_create(&md, &dst, engine, DNNL_MEMORY_ALLOCATE));
        CHECK(dnnl_memory_create(&mb, &bias, engine, DNNL_MEMORY_ALLOCATE));
        CHECK(dnnl_memory_create(&mwu, &wuser, engine, DNNL_MEMORY_ALLOCATE));
        CHECK(dnnl_memory_create(&mw, wpref, engine, DNNL_MEMORY_ALLOCATE));
#endif
        void *p;
        dnnl_memory_get_data_handle(ms, &p); for (long i = 0; i < (long)n * c * h * w; i++) ((float *)p)[i] = (float)((i * 7919) % 255) / 255.f - 0.5f;
        dnnl_memory_get_data_handle(mwu, &p); for (long i = 0; i < (long)o * (c / g) * kh * kw; i++) ((float *)p)[i] = (float)((i * 104729) % 97) / 97.f - 0.5f;
        dnnl_memory_get_data_handle(mb, &p); for (int i = 0; i < o; i++) ((float *)p)[i] = 0.01f * i;
        // weights reordered once into the primitive's format (outside the timing)
        dnnl_primitive_desc_t rpd; dnnl_primitive_t reorder;
#if DNNL_VERSION_MAJOR >= 3
        CHECK(dnnl_reorder_primitive_desc_create(&rpd, wuser, engine, wpref, engine, NULL));
#else
        CHECK(dnnl_reorder_primitive_desc_create(&rpd, &wuser, engine, wpref, engine, NULL));
#endif
        CHECK(dnnl_primitive_create(&reorder, rpd));
        dnnl_exec_arg_t rargs[2] = {{DNNL_ARG_FROM, mwu}, {DNNL_ARG_TO, mw}};
        CHECK(dnnl_primitive_execute(reorder, stream, 2, rargs));
        CHECK(dnnl_stream_wait(stream));
        dnnl_exec_arg_t args[4] = {{DNNL_ARG_SRC, ms}, {DNNL_ARG_WEIGHTS, mw}, {DNNL_ARG_BIAS, mb}, {DNNL_ARG_DST, md}};
        double *t = malloc(sizeof(double) * runs);
        for (int r = 0; r < 10; r++) { CHECK(dnnl_primitive_execute(conv, stream, 4, args)); CHECK(dnnl_stream_wait(stream)); }
        for (int r = 0; r < runs; r++) {
            double t0 = now();
            CHECK(dnnl_primitive_execute(conv, stream, 4, args)); CHECK(dnnl_stream_wait(stream));
            t[r] = now() - t0;
        }
        qsort(t, runs, sizeof(double), cmp);
        total += t[runs / 2];
        layers++;
        free(t);
        dnnl_primitive_destroy(conv); dnnl_primitive_destroy(reorder);
        dnnl_primitive_desc_destroy(pd); dnnl_primitive_desc_destroy(rpd);
        dnnl_memory_destroy(ms); dnnl_memory_destroy(md); dnnl_memory_destroy(mb); dnnl_memory_destroy(mw); dnnl_memory_destroy(mwu);
        dnnl_post_ops_destroy(po); dnnl_primitive_attr_destroy(attr);
#if DNNL_VERSION_MAJOR >= 3
        dnnl_memory_desc_destroy(src); dnnl_memory_desc_destroy(dst); dnnl_memory_desc_destroy(bias);
        dnnl_memory_desc_destroy(wany); dnnl_memory_desc_destroy(wuser);
#endif
    }
    const dnnl_version_t *v = dnnl_version();
    printf("oneDNN %d.%d.%d: %d layers, sum of medians %.3f ms\n", v->major, v->minor, v->patch, layers, total);
    return 0;
}
