"""The official Python pulsar-client's consume-only rate, for the benchmarks.

  consume_only.py SERVICE TOPIC SUB N
      Subscribe SUB (Exclusive, initial position earliest, default receiver queue of 1000)
      to TOPIC and receive N messages without acknowledging or sending anything. Prints one
      JSON line {"received": N, "seconds": s, "msgs_per_s": r} as the last line on stdout;
      seconds runs from the end of subscribe to the N-th receive. If 30 s pass without a
      message it prints what it got (seconds up to the last one received) and exits 1.

The Python client logs (warnings and errors only here) to stdout before the JSON line.
"""
import json
import sys
import time

import pulsar


def main(service, topic, sub, n):
    client = pulsar.Client(service, operation_timeout_seconds=30,
                           logger=pulsar.ConsoleLogger(pulsar.LoggerLevel.Warn))
    consumer = client.subscribe(topic, sub, consumer_type=pulsar.ConsumerType.Exclusive,
                                initial_position=pulsar.InitialPosition.Earliest)
    received = 0
    start = last = time.perf_counter()
    try:
        while received < n:
            consumer.receive(timeout_millis=30000)
            received += 1
            last = time.perf_counter()
    except pulsar.Timeout:
        pass
    seconds = last - start
    print(json.dumps({"received": received, "seconds": round(seconds, 4),
                      "msgs_per_s": round(received / seconds, 1) if seconds > 0 else None}),
          flush=True)
    consumer.close()
    client.close()
    return 0 if received == n else 1


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])))
