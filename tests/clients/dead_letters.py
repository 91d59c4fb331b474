"""Dead-letter helpers shared by dlq_flow.py and health_flow.py (imported from this folder:
Python puts a script's own folder first on sys.path)."""
import time

import pulsar


def dead_letter_consumer(client, topic, sub, dlq, max_redeliver_count):
    """A Shared consumer on SUB from the earliest message whose nacked messages come back after
    100 ms and move to DLQ once delivered max_redeliver_count + 1 times."""
    return client.subscribe(
        topic, sub, consumer_type=pulsar.ConsumerType.Shared,
        initial_position=pulsar.InitialPosition.Earliest,
        negative_ack_redelivery_delay_ms=100,
        dead_letter_policy=pulsar.ConsumerDeadLetterPolicy(max_redeliver_count=max_redeliver_count,
                                                           dead_letter_topic=dlq))


def receive_until_quiet(consumer, on_message, done=lambda: True, limit_s=60, quiet_s=3):
    """Hands every message received to on_message until done() holds and nothing came for
    quiet_s seconds (nacked messages keep coming until the policy moved them), or limit_s
    passed."""
    deadline = time.time() + limit_s
    quiet_since = time.time()
    while time.time() < deadline:
        try:
            msg = consumer.receive(timeout_millis=500)
        except pulsar.Timeout:
            if done() and time.time() - quiet_since > quiet_s:
                break
            continue
        quiet_since = time.time()
        on_message(msg)
