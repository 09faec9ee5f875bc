//! The transport against the embedded rumqttd: WebSocket and TCP, raw CONNECT/CONNACK bytes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{mqtt_handshake, rumqttd};
use mqscope::codec::ProtocolVersion;
use mqscope::transport::{Transport, TransportOptions};

#[tokio::test]
async fn websocket_connect_gets_connack_from_rumqttd() {
    let broker = rumqttd();
    let ack = mqtt_handshake(&TransportOptions::new(broker.ws_url()), ProtocolVersion::V3_1_1, "rumqttd-ws").await;
    assert_eq!(ack.reason_code, 0);
}

#[tokio::test]
async fn rumqttd_answers_the_mqtt_subprotocol() {
    let broker = rumqttd();
    let mut transport = Transport::connect(&TransportOptions::new(broker.ws_url()), |_| {}).await.unwrap();
    assert_eq!(transport.subprotocol(), Some("mqtt"));
    transport.close().await;
}

#[tokio::test]
async fn tcp_v4_and_v5_connect_get_connack_from_rumqttd() {
    let broker = rumqttd();
    let ack = mqtt_handshake(&TransportOptions::new(broker.tcp_v4_url()), ProtocolVersion::V3_1_1, "rumqttd-v4").await;
    assert_eq!(ack.reason_code, 0);
    let ack = mqtt_handshake(&TransportOptions::new(broker.tcp_v5_url()), ProtocolVersion::V5, "rumqttd-v5").await;
    assert_eq!(ack.reason_code, 0);
}
