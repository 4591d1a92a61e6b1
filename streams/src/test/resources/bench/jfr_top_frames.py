#!/usr/bin/env python3
"""Top frames of a JFR CPU profile, for threads whose name contains a filter (e.g. one application id).

    java -XX:StartFlightRecording=filename=bench.jfr,settings=profile -jar streams/target/runwatch.jar bench ...
    jfr print --stack-depth 200 --events jdk.ExecutionSample bench.jfr > samples.txt   # the default depth is 5
    python3 jfr_top_frames.py samples.txt bench-runwatch 25

Prints the top self frames, the inclusive share of runwatch / serde / store / metrics methods, and the nearest
library package of each sample."""
import re, sys, collections
text = open(sys.argv[1]).read()
flt = sys.argv[2] if len(sys.argv) > 2 else ""
top_n = int(sys.argv[3]) if len(sys.argv) > 3 else 25
self_c, incl_c, pkg_c = collections.Counter(), collections.Counter(), collections.Counter()
total = 0
for ev in text.split("jdk.ExecutionSample {")[1:]:
    m = re.search(r'sampledThread = "([^"]*)"', ev)
    if not m or flt not in m.group(1):
        continue
    frames = re.findall(r'^\s+([\w$.<>/]+\.[\w$<>]+)\(', ev, re.M)
    if not frames:
        continue
    total += 1
    self_c[frames[0]] += 1
    for f in set(frames):
        incl_c[f] += 1
    # the first runwatch or kafka/rocksdb/jackson frame from the top: who is paying
    for f in frames:
        if f.startswith(("io.runwatch", "org.apache.kafka", "org.rocksdb", "com.fasterxml", "io.micrometer")):
            pkg_c[".".join(f.split(".")[:4])] += 1
            break
print(f"samples: {total} (threads matching '{flt}')")
print("\n-- top self frames --")
for f, c in self_c.most_common(top_n):
    print(f"{100*c/total:5.1f}%  {f}")
print("\n-- top inclusive (io.runwatch / serde / store) --")
for f, c in incl_c.most_common(400):
    if any(k in f for k in ("io.runwatch", "JsonSerde", "RocksDB", "ObjectMapper", "ChangeLogging", "Metered", "RecordCollector", "KafkaProducer.send", "commit", "Punctuat", "micrometer")):
        print(f"{100*c/total:5.1f}%  {f}")
print("\n-- nearest library frame (self) --")
for f, c in pkg_c.most_common(15):
    print(f"{100*c/total:5.1f}%  {f}")
