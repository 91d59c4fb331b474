// The official Java client (from the Pulsar distribution's lib/) reads a KEY_VALUE<STRING,
// JSON(Stock)> topic from the start and prints one JSON line per message: what pulsar-tui
// produced must read back the same as what Java wrote. Usage:
// java -cp 'lib/*:.' ReadKeyValue SERVICE_URL TOPIC INLINE|SEPARATED
import java.util.concurrent.TimeUnit;
import org.apache.pulsar.client.api.Message;
import org.apache.pulsar.client.api.MessageId;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.Reader;
import org.apache.pulsar.client.api.Schema;
import org.apache.pulsar.common.schema.KeyValue;
import org.apache.pulsar.common.schema.KeyValueEncodingType;

public class ReadKeyValue {
    public static class Stock {
        public String sku;
        public int onHand;
        public Stock() {}
    }

    static String quote(String s) {
        return s == null ? "null" : "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    public static void main(String[] args) throws Exception {
        String url = args[0], topic = args[1];
        KeyValueEncodingType enc = KeyValueEncodingType.valueOf(args[2]);
        Schema<KeyValue<String, Stock>> kv = Schema.KeyValue(Schema.STRING, Schema.JSON(Stock.class), enc);
        try (PulsarClient c = PulsarClient.builder().serviceUrl(url).build();
             Reader<KeyValue<String, Stock>> r = c.newReader(kv).topic(topic).startMessageId(MessageId.earliest).create()) {
            while (r.hasMessageAvailable()) {
                Message<KeyValue<String, Stock>> m = r.readNext(30, TimeUnit.SECONDS);
                if (m == null) break;
                KeyValue<String, Stock> v = m.getValue();
                System.out.println("{\"key\":" + quote(v.getKey()) + ",\"sku\":" + quote(v.getValue().sku)
                        + ",\"onHand\":" + v.getValue().onHand + ",\"messageKey\":" + quote(m.getKey()) + "}");
            }
        }
        System.out.println("READ");
    }
}
