// The official Java client (from the Pulsar distribution's lib/) produces KEY_VALUE and
// primitive-schema messages for pulsar-tui's decoder tests: things the Python client
// cannot write. Usage: java -cp 'lib/*:.' ProduceTyped SERVICE_URL TOPIC_PREFIX
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import org.apache.pulsar.client.api.Producer;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.Schema;
import org.apache.pulsar.common.schema.KeyValue;
import org.apache.pulsar.common.schema.KeyValueEncodingType;

public class ProduceTyped {
    public static class Stock {
        public String sku;
        public int onHand;
        public Stock() {}
        public Stock(String sku, int onHand) { this.sku = sku; this.onHand = onHand; }
    }

    static <T> void one(PulsarClient c, String topic, Schema<T> schema, T value) throws Exception {
        try (Producer<T> p = c.newProducer(schema).topic(topic).create()) {
            p.send(value);
        }
    }

    public static void main(String[] args) throws Exception {
        String url = args[0], prefix = args[1];
        try (PulsarClient c = PulsarClient.builder().serviceUrl(url).build()) {
            for (KeyValueEncodingType enc : new KeyValueEncodingType[] {KeyValueEncodingType.INLINE, KeyValueEncodingType.SEPARATED}) {
                Schema<KeyValue<String, Stock>> kv = Schema.KeyValue(Schema.STRING, Schema.JSON(Stock.class), enc);
                try (Producer<KeyValue<String, Stock>> p = c.newProducer(kv).topic(prefix + "kv-" + enc.name().toLowerCase()).create()) {
                    p.send(new KeyValue<>("SKU-1", new Stock("SKU-1", 7)));
                    p.send(new KeyValue<>("SKU-2", new Stock("SKU-2", 0)));
                }
            }
            one(c, prefix + "int8", Schema.INT8, (byte) -8);
            one(c, prefix + "int16", Schema.INT16, (short) -1600);
            one(c, prefix + "int32", Schema.INT32, 32_000_000);
            one(c, prefix + "int64", Schema.INT64, -6_400_000_000L);
            one(c, prefix + "boolean", Schema.BOOL, true);
            one(c, prefix + "float", Schema.FLOAT, 1.5f);
            one(c, prefix + "double", Schema.DOUBLE, -2.25);
            one(c, prefix + "bytes", Schema.BYTES, new byte[] {1, 2, (byte) 0xff});
            one(c, prefix + "timestamp", Schema.TIMESTAMP, new java.sql.Timestamp(1_764_237_600_123L));
            one(c, prefix + "date", Schema.DATE, new java.util.Date(1_764_237_600_123L));
            one(c, prefix + "instant", Schema.INSTANT, Instant.ofEpochSecond(1_764_237_600L, 123_456_789));
            one(c, prefix + "local-date", Schema.LOCAL_DATE, LocalDate.of(2026, 11, 27));
            one(c, prefix + "local-time", Schema.LOCAL_TIME, LocalTime.of(10, 0, 5, 123_000_000));
            one(c, prefix + "local-date-time", Schema.LOCAL_DATE_TIME, LocalDateTime.of(2026, 11, 27, 10, 0, 5, 123_000_000));
        }
        System.out.println("PRODUCED");
    }
}
