#!/usr/bin/python3
"""Full ACME flows per second against one server, with the in-process client of the shared peer
measurements (../shared/peers/13_acme_loadgen.py, python3-acme): each worker process registers an
account, then all start together and run their share of orders (new order -> challenge ->
finalize -> poll -> download). Prints one JSON line with certificates/s and the p50/p90/p99/max
latency of a whole order, so signet and pebble are measured by the same client in the same run.
Run with /usr/bin/python3 (Debian's python3-acme):
  /usr/bin/python3 bench/acme_load.py --peers ../shared/peers --dir https://127.0.0.1:9443/acme/directory --ca roots.pem -n 200 -c 16
"""
import argparse, importlib.util, json, multiprocessing as mp, sys


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--peers", required=True, help="directory of 13_acme_loadgen.py")
    p.add_argument("--dir", required=True)
    p.add_argument("--ca", required=True)
    p.add_argument("-n", type=int, default=200)
    p.add_argument("-c", type=int, default=16)
    p.add_argument("--key", default="ec256", choices=["ec256", "rsa2048"])
    p.add_argument("--poll", type=float, default=0.005)
    p.add_argument("--deadline", type=float, default=60)
    a = p.parse_args()
    if not a.dir.startswith(("https://127.", "https://localhost")):
        sys.exit("refusing non-loopback target")
    spec = importlib.util.spec_from_file_location("loadgen", f"{a.peers}/13_acme_loadgen.py")
    loadgen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loadgen)
    barrier, q = mp.Barrier(a.c), mp.Queue()
    per = [a.n // a.c + (1 if i < a.n % a.c else 0) for i in range(a.c)]
    ps = [mp.Process(target=loadgen.worker, args=(i, per[i], a, barrier, q)) for i in range(a.c)]
    for x in ps:
        x.start()
    res = [q.get(timeout=a.deadline * max(per) + 120) for _ in ps]
    for x in ps:
        x.join()
    t0, t1 = min(r[0] for r in res), max(r[1] for r in res)
    lat = sorted(l for r in res for l in r[2])
    ok, errs = len(lat), sum(r[3] for r in res)
    pct = lambda f: round(lat[min(len(lat) - 1, int(f * len(lat)))] * 1000, 1) if lat else None
    print(json.dumps({"orders_ok": ok, "errors": errs, "concurrency": a.c, "seconds": round(t1 - t0, 3),
                      "certs_per_s": round(ok / (t1 - t0), 2), "p50_ms": pct(0.5), "p90_ms": pct(0.9),
                      "p99_ms": pct(0.99), "max_ms": pct(1.0)}))


if __name__ == "__main__":
    main()
