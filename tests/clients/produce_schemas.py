"""The official Python client produces schema-typed messages for pulsar-tui's decoder tests.
Usage: python3 produce_schemas.py SERVICE_URL TOPIC_PREFIX OUT_JSON
Writes to OUT_JSON what it produced: {topic: [value, ...]} in the order sent."""
import json
import sys

import pulsar
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from pulsar.schema import AvroSchema, JsonSchema, ProtobufNativeSchema, Record, String, StringSchema

service, prefix, out_path = sys.argv[1], sys.argv[2], sys.argv[3]


# Avro schemas given as definitions: v2 adds a field with a default (a compatible change)
ORDER_V1 = {"type": "record", "name": "Order", "namespace": "it",
            "fields": [{"name": "id", "type": "string"}, {"name": "amount", "type": "double"}]}
ORDER_V2 = dict(ORDER_V1, fields=ORDER_V1["fields"] + [{"name": "currency", "type": "string", "default": "USD"}])


class Customer(Record):
    name = String()
    tier = String()


def ticket_class():
    F = descriptor_pb2.FieldDescriptorProto
    fdp = descriptor_pb2.FileDescriptorProto(name="it/ticket.proto", package="it", syntax="proto3")
    m = fdp.message_type.add(name="Ticket")
    m.field.add(name="id", number=1, type=F.TYPE_STRING, label=F.LABEL_OPTIONAL, json_name="id")
    m.field.add(name="seats", number=2, type=F.TYPE_INT32, label=F.LABEL_OPTIONAL, json_name="seats")
    m.field.add(name="tags", number=3, type=F.TYPE_STRING, label=F.LABEL_REPEATED, json_name="tags")
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fdp)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("it.Ticket"))


client = pulsar.Client(service, operation_timeout_seconds=30)
produced = {}


def send(topic, schema, values):
    p = client.create_producer(topic, schema=schema, batching_enabled=False)
    for v in values:
        p.send(v)
    p.close()


orders = prefix + "orders"
send(orders, AvroSchema(None, schema_definition=ORDER_V1), [{"id": "o-1", "amount": 10.5}, {"id": "o-2", "amount": 20.25}])
send(orders, AvroSchema(None, schema_definition=ORDER_V2),
     [{"id": "o-3", "amount": 30.0, "currency": "EUR"}, {"id": "o-4", "amount": 1.0, "currency": "USD"}])
produced[orders] = [
    {"amount": 10.5, "id": "o-1"}, {"amount": 20.25, "id": "o-2"},
    {"amount": 30.0, "currency": "EUR", "id": "o-3"}, {"amount": 1.0, "currency": "USD", "id": "o-4"},
]
customers = prefix + "customers"
send(customers, JsonSchema(Customer), [Customer(name="Ada", tier="gold"), Customer(name="Linus", tier=None)])
produced[customers] = [{"name": "Ada", "tier": "gold"}, {"name": "Linus", "tier": None}]
Ticket = ticket_class()
tickets = prefix + "tickets"
send(tickets, ProtobufNativeSchema(Ticket), [Ticket(id="t-1", seats=2, tags=["vip", "aisle"]), Ticket(id="t-2", seats=0)])
produced[tickets] = [{"id": "t-1", "seats": 2, "tags": ["vip", "aisle"]}, {"id": "t-2", "seats": 0, "tags": []}]
notes = prefix + "notes"
send(notes, StringSchema(), ["héllo → wörld", "second"])
produced[notes] = ["héllo → wörld", "second"]
client.close()
with open(out_path, "w") as f:
    json.dump(produced, f)
