"""The session every job gets (lakehouse.spark.build_session)."""

from __future__ import annotations

from lakehouse.spark import CODEGEN_CACHE_ENTRIES


def _compilations(spark) -> int:
    return spark._jvm.org.apache.spark.metrics.source.CodegenMetrics.METRIC_COMPILATION_TIME().getCount()


def test_generated_classes_stay_cached_past_sparks_default_of_100(spark):
    assert int(spark.conf.get(CODEGEN_CACHE_ENTRIES)) > 100
    # 120 queries whose generated code differs (the literal is compiled into it), then the first one again:
    # with Spark's default cache of 100 classes it would have been evicted and compiled a second time
    shapes = [f"id * {i} + {i + 7} AS v" for i in range(1, 121)]
    for expr in shapes:
        spark.range(3).selectExpr(expr).collect()
    before = _compilations(spark)
    spark.range(3).selectExpr(shapes[0]).collect()
    assert _compilations(spark) == before
