//! Plain TCP against a scripted peer: bytes in any split, batches, end of stream.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use bytes::BytesMut;
use common::{FakeTcpServer, connect_packet, encode_packet, read_packet};
use mqscope::codec::{ConnAck, Packet, Properties, ProtocolVersion};
use mqscope::transport::{Scheme, Transport, TransportOptions};

const V4: ProtocolVersion = ProtocolVersion::V3_1_1;

#[tokio::test]
async fn connect_and_connack_one_byte_at_a_time() {
    let server = FakeTcpServer::bind().await;
    let opts = TransportOptions::new(server.addr.to_string()); // no scheme: mqtt://
    let (transport, peer) = tokio::join!(Transport::connect(&opts, |_| {}), server.accept());
    let (mut transport, mut peer) = (transport.unwrap(), peer);
    assert_eq!(transport.scheme(), Scheme::Mqtt);
    assert_eq!(transport.peer_addr(), server.addr);

    let connect = connect_packet(V4, "tcp-client");
    transport.send(encode_packet(&connect, V4)).await.unwrap();
    assert_eq!(peer.read_packet(V4).await, Some(connect));

    let connack = Packet::ConnAck(ConnAck { session_present: true, reason_code: 0, properties: Properties::default() });
    for byte in encode_packet(&connack, V4).iter() {
        peer.write(&[*byte]).await;
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let mut buf = BytesMut::new();
    assert_eq!(read_packet(&mut transport, &mut buf, V4).await, Some(connack));

    peer.shutdown().await;
    assert_eq!(transport.read(&mut buf).await.unwrap(), 0);
    assert_eq!(transport.read(&mut buf).await.unwrap(), 0, "stays at end of stream");
}

#[tokio::test]
async fn send_batch_writes_all_packets_in_order() {
    let server = FakeTcpServer::bind().await;
    let opts = TransportOptions::new(server.url());
    let (transport, peer) = tokio::join!(Transport::connect(&opts, |_| {}), server.accept());
    let (mut transport, mut peer) = (transport.unwrap(), peer);
    let packets: Vec<Packet> = (0..4).map(|i| connect_packet(V4, &format!("c{i}"))).collect();
    transport.send_batch(packets.iter().map(|p| encode_packet(p, V4))).await.unwrap();
    for p in &packets {
        assert_eq!(peer.read_packet(V4).await.as_ref(), Some(p));
    }
    transport.close().await;
    assert_eq!(peer.read_packet(V4).await, None, "close shuts the write side");
}
