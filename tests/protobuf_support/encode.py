"""Protobuf payloads for tests/protobuf_python.rs, built by Python's `protobuf` package (not by mqscope).

There is no protoc here, so the descriptors of proto/acme/*.proto are written out by hand below.

  encode.py cases DIR   writes DIR/NAME.bin (the wire bytes) and DIR/NAME.json (Python's canonical JSON)
  encode.py decode      reads acme.Telemetry wire bytes on stdin, prints Python's canonical JSON
"""
import json
import pathlib
import sys

from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory

F = descriptor_pb2.FieldDescriptorProto
OPTIONAL, REPEATED = F.LABEL_OPTIONAL, F.LABEL_REPEATED


def field(msg, name, number, type_, label=OPTIONAL, type_name=None, json_name=None, oneof=None):
    f = msg.field.add(name=name, number=number, type=type_, label=label)
    if type_name:
        f.type_name = type_name
    if json_name:
        f.json_name = json_name
    if oneof is not None:
        f.oneof_index = oneof
    return f


def build_pool():
    pool = descriptor_pool.DescriptorPool()

    common = descriptor_pb2.FileDescriptorProto(name="acme/common.proto", package="acme", syntax="proto3")
    loc = common.message_type.add(name="Location")
    field(loc, "lat", 1, F.TYPE_DOUBLE)
    field(loc, "lon", 2, F.TYPE_DOUBLE)
    field(loc, "site", 3, F.TYPE_STRING)
    pool.Add(common)

    fd = descriptor_pb2.FileDescriptorProto(
        name="acme/telemetry.proto", package="acme", syntax="proto3", dependency=["acme/common.proto"]
    )
    status = fd.enum_type.add(name="Status")
    for i, n in enumerate(["STATUS_UNKNOWN", "RUNNING", "STOPPED"]):
        status.value.add(name=n, number=i)
    t = fd.message_type.add(name="Telemetry")
    tag = t.nested_type.add(name="Tag")
    field(tag, "key", 1, F.TYPE_STRING)
    field(tag, "value", 2, F.TYPE_STRING)
    alarm = t.nested_type.add(name="Alarm")
    sev = alarm.enum_type.add(name="Severity")
    for i, n in enumerate(["SEVERITY_UNSPECIFIED", "WARN", "CRIT"]):
        sev.value.add(name=n, number=i)
    field(alarm, "code", 1, F.TYPE_INT32)
    field(alarm, "message", 2, F.TYPE_STRING)
    field(alarm, "severity", 3, F.TYPE_ENUM, type_name=".acme.Telemetry.Alarm.Severity")
    entry = t.nested_type.add(name="CountersEntry")
    entry.options.map_entry = True
    field(entry, "key", 1, F.TYPE_STRING)
    field(entry, "value", 2, F.TYPE_INT32)
    t.oneof_decl.add(name="reading")
    field(t, "device", 1, F.TYPE_STRING)
    field(t, "seq", 2, F.TYPE_INT64)
    field(t, "temperature", 3, F.TYPE_DOUBLE)
    field(t, "status", 4, F.TYPE_ENUM, type_name=".acme.Status")
    field(t, "samples", 5, F.TYPE_FLOAT, REPEATED)
    field(t, "counters", 6, F.TYPE_MESSAGE, REPEATED, ".acme.Telemetry.CountersEntry")
    field(t, "location", 7, F.TYPE_MESSAGE, type_name=".acme.Location")
    field(t, "note", 8, F.TYPE_STRING, oneof=0)
    field(t, "alarm", 9, F.TYPE_MESSAGE, type_name=".acme.Telemetry.Alarm", oneof=0)
    field(t, "tags", 10, F.TYPE_MESSAGE, REPEATED, ".acme.Telemetry.Tag")
    field(t, "raw", 11, F.TYPE_BYTES)
    field(t, "ok", 12, F.TYPE_BOOL)
    field(t, "battery_pct", 13, F.TYPE_UINT32, json_name="batteryPct")
    pool.Add(fd)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("acme.Telemetry"))


def cases(Telemetry):
    full = Telemetry(device="press-7", seq=42, temperature=21.5, status=1, ok=True, battery_pct=88)
    full.samples.extend([1.5, 2.25, -3.0])
    full.counters["starts"] = 3
    full.counters["stops"] = 1
    full.location.lat, full.location.lon, full.location.site = 52.5, 13.25, "B"
    full.alarm.code, full.alarm.message, full.alarm.severity = 7, "over temperature", 2
    full.tags.add(key="line", value="4")
    full.tags.add(key="shift", value="night")
    full.raw = b"\x01\x02\xff"
    note = Telemetry(device="press-8", seq=-5, status=2, note="all fine")
    note.counters["faults"] = -2
    hostile = Telemetry(device="\x1b[2J\u202egrüße", note="\x07bell")
    return {"full": full, "note": note, "hostile": hostile}


def main():
    Telemetry = build_pool()
    if sys.argv[1] == "cases":
        out = pathlib.Path(sys.argv[2])
        for name, msg in cases(Telemetry).items():
            (out / f"{name}.bin").write_bytes(msg.SerializeToString())
            (out / f"{name}.json").write_text(json_format.MessageToJson(msg))
            print(name)
    elif sys.argv[1] == "decode":
        msg = Telemetry.FromString(sys.stdin.buffer.read())
        print(json.dumps(json_format.MessageToDict(msg)))


main()
