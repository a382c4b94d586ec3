import json

from models import benchmark


def test_benchmark_writes_report(tmp_path):
    out = tmp_path / "bench.json"
    assert benchmark.main(["--models", "fast-cnn", "--runs", "3", "--warmup", "1", "--json", str(out),
                           "--no-fail"]) == 0
    report = json.loads(out.read_text())
    rows = report["results"]
    assert {r["runtime"] for r in rows} >= {"pytorch", "onnxruntime"}
    for r in rows:
        assert {"mean_ms", "p50_ms", "p95_ms", "p99_ms"} <= set(r)
    assert any("margin_ms" in r for r in rows)
    assert {r["precision"] for r in rows if "goal_p50_ms" in r} == {"fp32", "int8"}
    assert report["machine"]["isa"]
