"""runwatch client: send a training run's steps, evaluations and events to runwatch from Python.

One file, standard library only. It writes the runwatch input contract as JSON lines (one object per line, flushed
at once) for `runwatch tail --format jsonl`, and, when `confluent_kafka` is importable and bootstrap servers are
given, also produces the same records to Kafka: runwatch.metrics, runwatch.evals and runwatch.events, key = run id.

    from runwatch_client import RunwatchClient

    rw = RunwatchClient("gpt-350m-a", path="runwatch.jsonl")          # or directory="rw/", bootstrap_servers=...
    rw.start(config={"num_params": 350e6, "adam_eps": 1e-8, "lr_max": 3e-4, "total_steps": 100_000,
                     "warmup_steps": 2000, "precision": "bf16"})
    rw.step(10, loss=3.21, grad_norm=0.9, lr=3e-4, tokens_per_s=1.2e5, step_time_s=0.41,
            groups={"layers.0.attn": {"grad_norm": 0.02, "update_rms_over_lr": 0.7}})
    rw.checkpoint(1000)
    rw.eval(1000, "arc_easy", 0.43, metric="acc", stderr=0.01, n=2376)
    rw.end(100_000, status="completed")
    rw.close()

Non-finite values are written as Python writes them (NaN, Infinity, -Infinity): catching them is what runwatch is
for. Times are epoch milliseconds of the caller's clock, carried in the record's `time` field; Kafka records are
stamped when they are sent (a broker refuses timestamps over an hour ahead of its own clock).
"""

import json
import math
import os
import sys
import threading
import time as _time

__all__ = ["RunwatchClient", "DeliveryError"]

TOPIC_METRICS = "runwatch.metrics"
TOPIC_EVALS = "runwatch.evals"
TOPIC_EVENTS = "runwatch.events"

_GROUP_FIELDS = ("grad_norm", "update_rms_over_lr", "param_norm")
_START_CONFIG = ("num_params", "adam_eps", "lr_max", "total_steps", "warmup_steps", "resumed_from_step",
                 "precision")


class DeliveryError(RuntimeError):
    """Kafka did not acknowledge some records (raised by flush() and close())."""


def _number(value):
    """A plain int or float from Python, NumPy or PyTorch scalars (tensor.item()); None stays None."""
    if value is None:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, bool):
        raise TypeError("a boolean is not a number: %r" % (value,))
    if isinstance(value, int):
        return value
    return float(value)


def _step(value):
    step = _number(value)
    if isinstance(step, float):
        if not math.isfinite(step) or step != int(step):
            raise ValueError("step must be a whole number, got %r" % (value,))
        step = int(step)
    if step < 0:
        raise ValueError("step must be >= 0, got %r" % (value,))
    return step


def _now_ms():
    return int(_time.time() * 1000)


class RunwatchClient(object):
    """Writes one run's records. Thread-safe; every line is flushed as soon as it is written.

    run: the run id (1-200 characters), the Kafka key of every record.
    path: a JSON-lines file to append every record to (all kinds in one file, for `runwatch tail --format jsonl`).
    directory: instead of one file, DIR/metrics.jsonl, DIR/evals.jsonl and DIR/events.jsonl (the files
        `runwatch backtest --metrics ... --evals ... --events ...` reads).
    stream: a text stream to write to (e.g. sys.stdout); the default when neither path nor directory is given
        and no Kafka is configured.
    bootstrap_servers: produce to Kafka as well (needs confluent_kafka, Debian: python3-confluent-kafka).
    kafka_config: extra confluent_kafka producer settings (TLS, SASL, ...).
    """

    def __init__(self, run, path=None, directory=None, stream=None, bootstrap_servers=None, kafka_config=None):
        if not isinstance(run, str) or not run.strip() or len(run) > 200:
            raise ValueError("run must be a non-empty string of at most 200 characters")
        self.run = run
        self._lock = threading.Lock()
        self._owned = []
        self._streams = {}
        if directory is not None:
            os.makedirs(directory, exist_ok=True)
            for topic, name in ((TOPIC_METRICS, "metrics.jsonl"), (TOPIC_EVALS, "evals.jsonl"),
                                (TOPIC_EVENTS, "events.jsonl")):
                self._streams[topic] = self._open(os.path.join(directory, name))
        elif path is not None:
            shared = self._open(path)
            self._streams = {TOPIC_METRICS: shared, TOPIC_EVALS: shared, TOPIC_EVENTS: shared}
        elif stream is not None or bootstrap_servers is None:
            shared = stream if stream is not None else sys.stdout
            self._streams = {TOPIC_METRICS: shared, TOPIC_EVALS: shared, TOPIC_EVENTS: shared}
        self._producer = None
        self._failures = []
        self.sent = 0
        self.nonfinite_evals = 0
        if bootstrap_servers:
            try:
                from confluent_kafka import Producer
            except ImportError:
                raise RuntimeError("producing to Kafka needs confluent_kafka (pip install confluent-kafka, or "
                                   "Debian: apt-get install python3-confluent-kafka)")
            settings = {"bootstrap.servers": bootstrap_servers, "enable.idempotence": True, "acks": "all",
                        "linger.ms": 5}
            settings.update(kafka_config or {})
            self._producer = Producer(settings)

    def _open(self, path):
        handle = open(path, "a", encoding="utf-8")
        self._owned.append(handle)
        return handle

    # ----------------------------------------------------------------------------------------------- records

    def start(self, config=None, step=None, time=None, **fields):
        """A `start` event. config: num_params, adam_eps, lr_max, total_steps, warmup_steps, resumed_from_step,
        precision ("bf16", "fp16", "fp32", ...) and anything else worth keeping (scalars)."""
        record = {"run": self.run, "type": "start", "time": self._time(time)}
        if step is not None:
            record["step"] = _step(step)
        if config:
            record["config"] = {k: (v if isinstance(v, (str, bool)) or v is None else _number(v))
                                for k, v in config.items()}
        record.update(fields)
        self._write(TOPIC_EVENTS, record)

    def step(self, step, loss=None, grad_norm=None, lr=None, tokens_per_s=None, step_time_s=None, tokens=None,
             loss_scale=None, skipped_steps=None, val_loss=None, groups=None, expect_next_within_s=None,
             time=None, **extra):
        """One optimizer step's metrics (only what is given is written). groups: parameter-group name ->
        {grad_norm, update_rms_over_lr, param_norm}. Other numeric keyword arguments are kept as extras."""
        record = {"run": self.run, "step": _step(step), "time": self._time(time)}
        for name, value in (("loss", loss), ("grad_norm", grad_norm), ("lr", lr), ("tokens_per_s", tokens_per_s),
                            ("step_time_s", step_time_s), ("tokens", tokens), ("loss_scale", loss_scale),
                            ("skipped_steps", skipped_steps), ("val_loss", val_loss),
                            ("expect_next_within_s", expect_next_within_s)):
            if value is not None:
                record[name] = _number(value)
        if groups:
            record["groups"] = {}
            for group, stats in groups.items():
                unknown = set(stats) - set(_GROUP_FIELDS)
                if unknown:
                    raise ValueError("group %r: unknown statistics %s (known: %s)"
                                     % (group, sorted(unknown), ", ".join(_GROUP_FIELDS)))
                record["groups"][str(group)] = {k: _number(v) for k, v in stats.items() if v is not None}
        for name, value in extra.items():
            if value is not None:
                record[name] = _number(value)
        self._write(TOPIC_METRICS, record)

    def eval(self, step, benchmark, value, metric="acc", stderr=None, n=None, higher_is_better=None, seed=None,
             capability=None, tokens=None, time=None):
        """One checkpoint's score on one benchmark metric. stderr and n (items) let runwatch model the noise.
        A non-finite score cannot be sent (the contract needs a finite value): it is counted in
        `nonfinite_evals`, reported on stderr, and False is returned; a monitoring call never stops training."""
        score = _number(value)
        if not math.isfinite(score):
            self.nonfinite_evals += 1
            sys.stderr.write("runwatch_client: %s %s at step %s is %r: not sent (the contract needs a finite "
                             "score)\n" % (benchmark, metric, step, score))
            return False
        record = {"run": self.run, "step": _step(step), "benchmark": str(benchmark), "metric": str(metric),
                  "value": score, "time": self._time(time)}
        if stderr is not None:
            record["stderr"] = _number(stderr)
        if n is not None:
            record["n"] = int(_number(n))
        if higher_is_better is not None:
            record["higher_is_better"] = bool(higher_is_better)
        if seed is not None:
            record["seed"] = seed if isinstance(seed, str) else _number(seed)
        if capability is not None:
            record["capability"] = str(capability)
        if tokens is not None:
            record["tokens"] = _number(tokens)
        self._write(TOPIC_EVALS, record)
        return True

    def checkpoint(self, step, time=None, **fields):
        """A `checkpoint` event: the step a checkpoint was saved at (runwatch's rollback target)."""
        record = {"run": self.run, "type": "checkpoint", "step": _step(step), "time": self._time(time)}
        record.update(fields)
        self._write(TOPIC_EVENTS, record)

    def end(self, step=None, status="completed", time=None):
        """An `end` event: the run finished (status "completed", "failed", ...), so silence is not a stall."""
        record = {"run": self.run, "type": "end", "status": str(status), "time": self._time(time)}
        if step is not None:
            record["step"] = _step(step)
        self._write(TOPIC_EVENTS, record)

    # ---------------------------------------------------------------------------------------------- plumbing

    @staticmethod
    def _time(value):
        return _now_ms() if value is None else value

    def _write(self, topic, record):
        line = json.dumps(record, allow_nan=True, separators=(",", ":"))
        with self._lock:
            out = self._streams.get(topic)
            if out is not None:
                out.write(line + "\n")
                out.flush()
            if self._producer is not None:
                self._produce(topic, line)

    def _produce(self, topic, line):
        for attempt in (1, 2):
            try:
                self._producer.produce(topic, key=self.run.encode("utf-8"), value=line.encode("utf-8"),
                                       on_delivery=self._delivered)
                break
            except BufferError as full:
                # The local queue is full (the broker is slow or away): wait for deliveries once, then count it.
                if attempt == 2:
                    self._failures.append(full)
                else:
                    self._producer.poll(1.0)
        self._producer.poll(0)

    def _delivered(self, error, message):
        if error is not None:
            self._failures.append(error)
        else:
            self.sent += 1

    def flush(self, timeout=30.0):
        """Waits until Kafka acknowledged every record; raises DeliveryError if any was refused or is still
        pending after timeout seconds. A no-op without Kafka."""
        if self._producer is None:
            return
        pending = self._producer.flush(timeout)
        if pending or self._failures:
            raise DeliveryError("%d record(s) not acknowledged, %d still pending; first error: %s"
                                % (len(self._failures), pending, self._failures[0] if self._failures else None))

    def close(self, timeout=30.0):
        """Flushes Kafka (see flush) and closes the files this client opened."""
        try:
            self.flush(timeout)
        finally:
            for handle in self._owned:
                handle.close()
            self._owned = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False
