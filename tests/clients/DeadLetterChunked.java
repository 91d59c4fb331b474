// The official Java client (from the Pulsar distribution's lib/) dead-letters a chunked
// message: its DLQ producer enables chunking itself, so a 7 MiB letter lands in the DLQ as
// chunks, which the Python client cannot arrange. For pulsar-tui's message-fidelity tests.
//
//   javac -cp "$PULSAR_HOME/lib/*" -d CLASSES tests/clients/DeadLetterChunked.java tests/clients/JsonText.java
//   java -cp "$PULSAR_HOME/lib/*:CLASSES" DeadLetterChunked SERVICE TOPIC SUBSCRIPTION DLQ_TOPIC OUT_FILE
//
// Subscribes SUBSCRIPTION (Shared, earliest) to TOPIC with DeadLetterPolicy(maxRedeliverCount=1,
// deadLetterTopic=DLQ_TOPIC, initialSubscriptionName=SUBSCRIPTION, which keeps the letters),
// negativeAckRedeliveryDelay 100 ms and ackTimeout 1 s; produces to TOPIC with chunking on and
// batching off one 7 MiB payload of java.util.Random(SEED) bytes (key "big", property i=0) and
// two small messages (keys "small-1", "small-2", i=1, 2); negatively acknowledges every small
// delivery and leaves the big one to the ack timeout (a nacked chunked message is never
// redelivered by the Java client 4.0.1-4.0.8, apache/pulsar#25220), until a checking consumer
// on DLQ_TOPIC (subscription SUBSCRIPTION-check, earliest) has seen all three keys. Writes to
// OUT_FILE
//   {"big_sha256": hex, "big_size": n, "dlq_entries": [{"key", "properties", "size",
//    "sha256", "message_id", "redelivery_count"} per letter, in DLQ order]}
// and exits 0; exits 1 after 120 s, or 2 on bad usage.
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.apache.pulsar.client.api.Consumer;
import org.apache.pulsar.client.api.DeadLetterPolicy;
import org.apache.pulsar.client.api.Message;
import org.apache.pulsar.client.api.Producer;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.SubscriptionInitialPosition;
import org.apache.pulsar.client.api.SubscriptionType;

public class DeadLetterChunked {
    static final int BIG_SIZE = 7 * 1024 * 1024;
    static final long SEED = 20261127L;
    static final long TIMEOUT_MS = 120_000;

    static String sha256(byte[] data) throws Exception {
        StringBuilder hex = new StringBuilder();
        for (byte b : MessageDigest.getInstance("SHA-256").digest(data)) {
            hex.append(String.format("%02x", b));
        }
        return hex.toString();
    }

    static String letter(Message<byte[]> m) throws Exception {
        StringBuilder props = new StringBuilder("{");
        for (Map.Entry<String, String> e : new TreeMap<>(m.getProperties()).entrySet()) {
            props.append(props.length() > 1 ? ", " : "")
                    .append(JsonText.str(e.getKey())).append(": ").append(JsonText.str(e.getValue()));
        }
        props.append('}');
        return "{\"key\": " + JsonText.str(m.getKey()) + ", \"properties\": " + props + ", \"size\": " + m.getData().length
                + ", \"sha256\": " + JsonText.str(sha256(m.getData()))
                + ", \"message_id\": " + JsonText.str(m.getMessageId().toString())
                + ", \"redelivery_count\": " + m.getRedeliveryCount() + "}";
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 5) {
            System.err.println("usage: DeadLetterChunked SERVICE TOPIC SUBSCRIPTION DLQ_TOPIC OUT_FILE");
            System.exit(2);
        }
        String service = args[0], topic = args[1], sub = args[2], dlq = args[3], out = args[4];
        long deadline = System.currentTimeMillis() + TIMEOUT_MS;
        // a hung client must not outlive the time limit
        Thread watchdog = new Thread(() -> {
            try {
                Thread.sleep(TIMEOUT_MS + 10_000);
            } catch (InterruptedException e) {
                return;
            }
            System.err.println("DeadLetterChunked: timed out");
            Runtime.getRuntime().halt(1);
        });
        watchdog.setDaemon(true);
        watchdog.start();

        byte[] big = new byte[BIG_SIZE];
        new Random(SEED).nextBytes(big);
        List<String> letters = new ArrayList<>();
        try (PulsarClient client = PulsarClient.builder().serviceUrl(service)
                .operationTimeout(30, TimeUnit.SECONDS).build()) {
            Consumer<byte[]> checker = client.newConsumer().topic(dlq).subscriptionName(sub + "-check")
                    .subscriptionType(SubscriptionType.Exclusive)
                    .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).subscribe();
            Consumer<byte[]> consumer = client.newConsumer().topic(topic).subscriptionName(sub)
                    .subscriptionType(SubscriptionType.Shared)
                    .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest)
                    .negativeAckRedeliveryDelay(100, TimeUnit.MILLISECONDS)
                    // redelivers the big one, which is not nacked (apache/pulsar#25220)
                    .ackTimeout(1, TimeUnit.SECONDS)
                    .deadLetterPolicy(DeadLetterPolicy.builder().maxRedeliverCount(1).deadLetterTopic(dlq)
                            .initialSubscriptionName(sub).build())
                    .subscribe();
            try (Producer<byte[]> producer = client.newProducer().topic(topic).enableChunking(true)
                    .enableBatching(false).sendTimeout(60, TimeUnit.SECONDS).create()) {
                producer.newMessage().key("big").property("i", "0").value(big).send();
                producer.newMessage().key("small-1").property("i", "1")
                        .value("small message 1".getBytes(StandardCharsets.UTF_8)).send();
                producer.newMessage().key("small-2").property("i", "2")
                        .value("small message 2".getBytes(StandardCharsets.UTF_8)).send();
            }
            Set<String> keys = new TreeSet<>();
            while (keys.size() < 3) {
                if (System.currentTimeMillis() > deadline) {
                    System.err.println("DeadLetterChunked: timed out with " + keys + " in the DLQ");
                    Runtime.getRuntime().halt(1);
                }
                Message<byte[]> m = consumer.receive(100, TimeUnit.MILLISECONDS);
                if (m != null && !"big".equals(m.getKey())) {
                    consumer.negativeAcknowledge(m);
                }
                Message<byte[]> d = checker.receive(10, TimeUnit.MILLISECONDS);
                if (d != null) {
                    letters.add(letter(d));
                    keys.add(d.getKey());
                    checker.acknowledge(d);
                }
            }
            consumer.close();
            checker.close();
        }
        String json = "{\"big_sha256\": " + JsonText.str(sha256(big)) + ", \"big_size\": " + big.length
                + ", \"dlq_entries\": [" + String.join(", ", letters) + "]}\n";
        Files.write(Paths.get(out), json.getBytes(StandardCharsets.UTF_8));
        System.out.println("DEAD-LETTERED");
        System.exit(0);
    }
}
