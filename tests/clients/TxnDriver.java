// The official Java client (from the Pulsar distribution's lib/) writes transactions for
// pulsar-tui's transaction tests: neither the `pulsar` crate nor the Python client has them.
// One JVM, driven by commands on stdin, one JSON line per command on stdout (so a test pays
// for one JVM start and can hold a transaction open while it looks at the broker).
//
//   javac -cp "$PULSAR_HOME/lib/*" -d CLASSES tests/clients/TxnDriver.java tests/clients/JsonText.java
//   java -cp "$PULSAR_HOME/lib/*:CLASSES" TxnDriver SERVICE TOPIC
//
// Commands (one per line; every answer carries "ok": true, or "ok": false and "error"):
//   commit N PREFIX         a transaction produces PREFIX-0..PREFIX-(N-1) to TOPIC and commits
//   abort N PREFIX          the same, then aborts
//   open N PREFIX [SUB]     a transaction with a 10-minute timeout produces N messages and, with
//                           SUB, receives one message on SUB (Shared, earliest) and acknowledges
//                           it in the transaction; it stays open (one open transaction at a time)
//   plain N PREFIX          N messages outside any transaction
//   end-open commit|abort   commits or aborts the open transaction
//   quit                    closes the client and exits 0
// Answers: {"ok":true,"op":..,"txn":"(most,least)","most":m,"least":l,"ids":["ledger:entry",..]}
// ("txn" only for transactional commands). Exits 2 on bad usage, 1 when the client cannot start.
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pulsar.client.api.Consumer;
import org.apache.pulsar.client.api.Message;
import org.apache.pulsar.client.api.MessageId;
import org.apache.pulsar.client.api.Producer;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.Schema;
import org.apache.pulsar.client.api.SubscriptionInitialPosition;
import org.apache.pulsar.client.api.SubscriptionType;
import org.apache.pulsar.client.api.transaction.Transaction;
import org.apache.pulsar.client.api.transaction.TxnID;

public class TxnDriver {
    static PulsarClient client;
    static Producer<String> producer;
    static String topic;
    static Transaction open;

    static String idOf(MessageId id) {
        // MessageIdImpl prints "ledger:entry:partition" (batch ids add ":batch")
        String[] parts = id.toString().split(":");
        return parts[0] + ":" + parts[1];
    }

    static Transaction newTxn(long timeoutMs) throws Exception {
        return client.newTransaction().withTransactionTimeout(timeoutMs, TimeUnit.MILLISECONDS).build().get(30, TimeUnit.SECONDS);
    }

    static List<String> produce(Transaction txn, int n, String prefix) throws Exception {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String value = prefix + "-" + i;
            MessageId id = txn == null
                    ? producer.newMessage().value(value).send()
                    : producer.newMessage(txn).value(value).send();
            ids.add(idOf(id));
        }
        return ids;
    }

    static String answer(String op, Transaction txn, List<String> ids) {
        StringBuilder out = new StringBuilder("{\"ok\":true,\"op\":").append(JsonText.str(op));
        if (txn != null) {
            TxnID t = txn.getTxnID();
            out.append(",\"txn\":").append(JsonText.str(t.toString()))
                    .append(",\"most\":").append(t.getMostSigBits())
                    .append(",\"least\":").append(t.getLeastSigBits());
        }
        out.append(",\"ids\":[");
        for (int i = 0; i < ids.size(); i++) {
            out.append(i == 0 ? "" : ",").append(JsonText.str(ids.get(i)));
        }
        return out.append("]}").toString();
    }

    static String run(String[] w) throws Exception {
        switch (w[0]) {
            case "commit":
            case "abort": {
                Transaction txn = newTxn(120_000);
                List<String> ids = produce(txn, Integer.parseInt(w[1]), w[2]);
                if (w[0].equals("commit")) {
                    txn.commit().get(30, TimeUnit.SECONDS);
                } else {
                    txn.abort().get(30, TimeUnit.SECONDS);
                }
                return answer(w[0], txn, ids);
            }
            case "open": {
                if (open != null) {
                    throw new IllegalStateException("a transaction is already open");
                }
                Transaction txn = newTxn(600_000);
                List<String> ids = produce(txn, Integer.parseInt(w[1]), w[2]);
                if (w.length > 3) {
                    try (Consumer<String> c = client.newConsumer(Schema.STRING).topic(topic)
                            .subscriptionName(w[3]).subscriptionType(SubscriptionType.Shared)
                            .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).subscribe()) {
                        Message<String> m = c.receive(30, TimeUnit.SECONDS);
                        if (m == null) {
                            throw new IllegalStateException("nothing to receive on " + w[3]);
                        }
                        c.acknowledgeAsync(m.getMessageId(), txn).get(30, TimeUnit.SECONDS);
                        ids.add("acked " + idOf(m.getMessageId()));
                    }
                }
                open = txn;
                return answer("open", txn, ids);
            }
            case "plain":
                return answer("plain", null, produce(null, Integer.parseInt(w[1]), w[2]));
            case "end-open": {
                if (open == null) {
                    throw new IllegalStateException("no open transaction");
                }
                Transaction txn = open;
                open = null;
                if (w[1].equals("commit")) {
                    txn.commit().get(30, TimeUnit.SECONDS);
                } else {
                    txn.abort().get(30, TimeUnit.SECONDS);
                }
                return answer("end-open " + w[1], txn, new ArrayList<>());
            }
            default:
                throw new IllegalArgumentException("unknown command " + w[0]);
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: TxnDriver SERVICE TOPIC");
            System.exit(2);
        }
        topic = args[1];
        try {
            client = PulsarClient.builder().serviceUrl(args[0]).enableTransaction(true)
                    .operationTimeout(60, TimeUnit.SECONDS).build();
            // a transactional producer must not time sends out on its own
            producer = client.newProducer(Schema.STRING).topic(topic).enableBatching(false)
                    .sendTimeout(0, TimeUnit.SECONDS).create();
        } catch (Exception e) {
            System.err.println("cannot start: " + e);
            System.exit(1);
        }
        System.out.println("{\"ok\":true,\"op\":\"ready\"}");
        System.out.flush();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            String[] w = line.trim().split("\\s+");
            if (w.length == 0 || w[0].isEmpty()) {
                continue;
            }
            if (w[0].equals("quit")) {
                break;
            }
            String out;
            try {
                out = run(w);
            } catch (Exception e) {
                out = "{\"ok\":false,\"op\":" + JsonText.str(w[0]) + ",\"error\":" + JsonText.str(String.valueOf(e)) + "}";
            }
            System.out.println(out);
            System.out.flush();
        }
        producer.close();
        client.close();
        System.exit(0);
    }
}
