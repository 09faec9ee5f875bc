//! WebSocket behaviour against a scripted tokio-tungstenite server: frame boundaries that do not match
//! packet boundaries, control frames, close codes, subprotocol answers, headers and the debug hook.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use bytes::BytesMut;
use common::{FakeWsServer, SubprotocolAnswer, encode_packet};
use mqscope::codec::{Bytes, ConnAck, Decoder, Packet, Properties, ProtocolVersion, Publish, QoS};
use mqscope::transport::{DebugEvent, Transport, TransportError, TransportOptions};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{CloseCode, Data, OpCode};

const V5: ProtocolVersion = ProtocolVersion::V5;

fn publish(topic: &str, payload: &[u8]) -> Packet {
    Packet::Publish(Publish {
        dup: false,
        qos: QoS::AtMostOnce,
        retain: false,
        topic: topic.into(),
        packet_id: None,
        properties: Properties::default(),
        payload: Bytes::copy_from_slice(payload),
    })
}

fn connack() -> Packet {
    Packet::ConnAck(ConnAck { session_present: false, reason_code: 0, properties: Properties::default() })
}

async fn connect(server: &FakeWsServer, answer: SubprotocolAnswer) -> (Transport, common::FakeWsPeer) {
    let opts = TransportOptions::new(server.url("/mqtt"));
    let (transport, peer) = tokio::join!(Transport::connect(&opts, |_| {}), server.accept(answer));
    (transport.unwrap(), peer)
}

/// Reads and decodes until `n` packets are in, within 10 s.
async fn read_packets(transport: &mut Transport, n: usize) -> Vec<Packet> {
    let mut buf = BytesMut::new();
    let mut decoder = Decoder::new(V5);
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), async {
        while out.len() < n {
            while let Some(p) = decoder.decode(&mut buf).unwrap() {
                out.push(p);
            }
            if out.len() < n {
                assert_ne!(transport.read(&mut buf).await.unwrap(), 0, "stream ended early");
            }
        }
    })
    .await
    .expect("packets did not arrive");
    out
}

#[tokio::test]
async fn one_packet_split_over_several_messages() {
    let server = FakeWsServer::bind().await;
    let (mut transport, mut peer) = connect(&server, SubprotocolAnswer::FirstOffered).await;
    let packet = publish("split/topic", &[7u8; 300]);
    let bytes = encode_packet(&packet, V5);
    let chunks: Vec<&[u8]> = bytes.chunks(7).collect();
    assert!(chunks.len() > 40);
    peer.send_binary(&chunks).await;
    assert_eq!(read_packets(&mut transport, 1).await, vec![packet]);
}

#[tokio::test]
async fn several_packets_in_one_message() {
    let server = FakeWsServer::bind().await;
    let (mut transport, mut peer) = connect(&server, SubprotocolAnswer::FirstOffered).await;
    let packets = vec![connack(), publish("a", b"1"), publish("b/c", b"22"), publish("d", b"")];
    let mut joined = Vec::new();
    for p in &packets {
        joined.extend_from_slice(&encode_packet(p, V5));
    }
    peer.send_binary(&[&joined]).await;
    assert_eq!(read_packets(&mut transport, packets.len()).await, packets);
}

#[tokio::test]
async fn packets_straddling_messages_and_fragmented_frames() {
    let server = FakeWsServer::bind().await;
    let (mut transport, mut peer) = connect(&server, SubprotocolAnswer::FirstOffered).await;
    let packets = vec![publish("x", b"first"), publish("y", &[1u8; 1000]), publish("z", b"last")];
    let mut joined = Vec::new();
    for p in &packets {
        joined.extend_from_slice(&encode_packet(p, V5));
    }
    // One message whose frames are fragments (RFC 6455 §5.4), then two messages cut mid-packet.
    let (a, rest) = joined.split_at(5);
    let (b, rest) = rest.split_at(600);
    let (c, rest) = rest.split_at(100);
    let (d, e) = rest.split_at(300);
    peer.send(Message::Frame(Frame::message(Bytes::copy_from_slice(a), OpCode::Data(Data::Binary), false))).await;
    peer.send(Message::Frame(Frame::message(Bytes::copy_from_slice(b), OpCode::Data(Data::Continue), false))).await;
    peer.send(Message::Frame(Frame::message(Bytes::copy_from_slice(c), OpCode::Data(Data::Continue), true))).await;
    peer.send_binary(&[d, e]).await;
    assert_eq!(read_packets(&mut transport, 3).await, packets);
}

#[tokio::test]
async fn pings_are_answered_and_not_delivered() {
    let server = FakeWsServer::bind().await;
    let (mut transport, mut peer) = connect(&server, SubprotocolAnswer::FirstOffered).await;
    peer.send(Message::Ping(Bytes::from_static(b"are you there"))).await;
    peer.send(Message::Pong(Bytes::from_static(b"unsolicited"))).await;
    peer.send_binary(&[&encode_packet(&connack(), V5)]).await;
    assert_eq!(read_packets(&mut transport, 1).await, vec![connack()]);
    assert_eq!(peer.next_message().await, Some(Message::Pong(Bytes::from_static(b"are you there"))));
}

#[tokio::test]
async fn each_send_and_each_batch_is_exactly_one_binary_message() {
    let server = FakeWsServer::bind().await;
    let (mut transport, mut peer) = connect(&server, SubprotocolAnswer::FirstOffered).await;
    let packets: Vec<Bytes> = (0..7).map(|i| encode_packet(&publish("t", &[i; 10]), V5)).collect();
    transport.send(packets[0].clone()).await.unwrap();
    transport.send(packets[1].clone()).await.unwrap();
    // A batch is one message with its packets back to back (MQTT 5 §6: a frame may carry several).
    transport.send_batch(packets[2..5].iter().cloned()).await.unwrap();
    transport.send_batch(packets[5..].iter().cloned()).await.unwrap();
    transport.send_batch(Vec::new()).await.unwrap();
    transport.send(packets[0].clone()).await.unwrap();
    let joined = |ps: &[Bytes]| Bytes::from(ps.concat());
    for expected in
        [packets[0].clone(), packets[1].clone(), joined(&packets[2..5]), joined(&packets[5..]), packets[0].clone()]
    {
        assert_eq!(peer.next_message().await, Some(Message::Binary(expected)));
    }
}

#[tokio::test]
async fn text_frames_are_an_error() {
    let server = FakeWsServer::bind().await;
    let (mut transport, mut peer) = connect(&server, SubprotocolAnswer::FirstOffered).await;
    peer.send(Message::text("{\"hello\":1}")).await;
    let err = transport.read(&mut BytesMut::new()).await.unwrap_err();
    assert!(matches!(err, TransportError::TextFrame { len: 11 }), "{err}");
}

#[tokio::test]
async fn normal_close_is_a_clean_end_with_its_reason_kept() {
    let server = FakeWsServer::bind().await;
    let (mut transport, mut peer) = connect(&server, SubprotocolAnswer::FirstOffered).await;
    peer.ws.close(Some(CloseFrame { code: CloseCode::Normal, reason: "bye".into() })).await.unwrap();
    let mut buf = BytesMut::new();
    assert_eq!(transport.read(&mut buf).await.unwrap(), 0);
    let info = transport.close_info().unwrap();
    assert_eq!((info.code, info.reason.as_str()), (1000, "bye"));
    assert_eq!(transport.read(&mut buf).await.unwrap(), 0, "stays at end of stream");
}

#[tokio::test]
async fn data_before_an_abnormal_close_comes_first_then_the_code() {
    let server = FakeWsServer::bind().await;
    let (mut transport, mut peer) = connect(&server, SubprotocolAnswer::FirstOffered).await;
    let bytes = encode_packet(&connack(), V5);
    peer.send_binary(&[&bytes]).await;
    peer.ws.close(Some(CloseFrame { code: CloseCode::Library(4001), reason: "token expired".into() })).await.unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await; // both are in flight before the first read
    let mut buf = BytesMut::new();
    assert_eq!(transport.read(&mut buf).await.unwrap(), bytes.len());
    assert_eq!(&buf[..], &bytes[..]);
    let err = transport.read(&mut buf).await.unwrap_err();
    assert!(matches!(&err, TransportError::Closed { code: 4001, reason } if reason == "token expired"), "{err}");
    assert!(err.to_string().contains("code 4001: token expired"), "{err}");
    assert_eq!(transport.close_info().map(|c| c.code), Some(4001));
}

#[tokio::test]
async fn tcp_drop_without_close_frame_is_a_clean_end() {
    let server = FakeWsServer::bind().await;
    let (mut transport, peer) = connect(&server, SubprotocolAnswer::FirstOffered).await;
    drop(peer);
    assert_eq!(transport.read(&mut BytesMut::new()).await.unwrap(), 0);
    assert!(transport.close_info().is_none());
}

#[tokio::test]
async fn client_close_sends_close_1000() {
    let server = FakeWsServer::bind().await;
    let (mut transport, mut peer) = connect(&server, SubprotocolAnswer::FirstOffered).await;
    transport.close().await;
    match peer.next_message().await {
        Some(Message::Close(Some(frame))) => assert_eq!(frame.code, CloseCode::Normal),
        other => panic!("expected a close frame, got {other:?}"),
    }
}

#[tokio::test]
async fn missing_subprotocol_in_the_answer_is_rejected() {
    let server = FakeWsServer::bind().await;
    let opts = TransportOptions::new(server.url("/ws"));
    let (result, _peer) = tokio::join!(Transport::connect(&opts, |_| {}), server.accept(SubprotocolAnswer::None));
    let err = result.unwrap_err();
    assert!(matches!(&err, TransportError::SubprotocolRejected { offered, .. } if offered == &["mqtt", "mqttv3.1"]));
    let text = err.to_string();
    assert!(text.contains("no Sec-WebSocket-Protocol") && text.contains("/mqtt"), "{text}");
}

#[tokio::test]
async fn a_subprotocol_that_was_not_offered_is_rejected() {
    let server = FakeWsServer::bind().await;
    let opts = TransportOptions::new(server.url("/mqtt"));
    let answer = SubprotocolAnswer::Fixed("graphql-ws".into());
    let (result, _peer) = tokio::join!(Transport::connect(&opts, |_| {}), server.accept(answer));
    assert!(matches!(result.unwrap_err(), TransportError::SubprotocolRejected { .. }));
}

#[tokio::test]
async fn mqttv3_1_is_accepted_and_no_subprotocols_offers_none() {
    let server = FakeWsServer::bind().await;
    let opts = TransportOptions::new(server.url("/mqtt"));
    let answer = SubprotocolAnswer::Fixed("mqttv3.1".into());
    let (result, _peer) = tokio::join!(Transport::connect(&opts, |_| {}), server.accept(answer));
    assert_eq!(result.unwrap().subprotocol(), Some("mqttv3.1"));

    let mut opts = TransportOptions::new(server.url("/mqtt"));
    opts.subprotocols.clear();
    let (result, peer) = tokio::join!(Transport::connect(&opts, |_| {}), server.accept(SubprotocolAnswer::None));
    assert_eq!(result.unwrap().subprotocol(), None);
    assert_eq!(peer.header("Sec-WebSocket-Protocol"), None);
}

#[tokio::test]
async fn extra_headers_reach_the_server_and_the_debug_hook_masks_secrets() {
    let server = FakeWsServer::bind().await;
    let mut opts = TransportOptions::new(server.url("/mqtt?tenant=7"));
    opts.headers = vec![
        ("Authorization".into(), "Bearer eyJ.secret".into()),
        ("Cookie".into(), "session=abc123".into()),
        ("X-Client".into(), "mqscope-test".into()),
    ];
    let mut events = Vec::new();
    let (result, peer) =
        tokio::join!(Transport::connect(&opts, |e| events.push(e)), server.accept(SubprotocolAnswer::FirstOffered));
    let transport = result.unwrap();
    assert_eq!(transport.subprotocol(), Some("mqtt"));
    assert_eq!(peer.header("Authorization"), Some("Bearer eyJ.secret"));
    assert_eq!(peer.header("Cookie"), Some("session=abc123"));
    assert_eq!(peer.header("X-Client"), Some("mqscope-test"));
    assert_eq!(peer.header("Sec-WebSocket-Protocol"), Some("mqtt, mqttv3.1"));

    let shown: String = events.iter().map(|e| format!("{e}\n")).collect();
    assert!(shown.contains("> GET /mqtt?tenant=7 HTTP/1.1"), "{shown}");
    assert!(shown.contains("> authorization: Bearer ***"), "{shown}");
    assert!(shown.contains("> cookie: ***"), "{shown}");
    assert!(shown.contains("> x-client: mqscope-test"), "{shown}");
    assert!(!shown.contains("secret") && !shown.contains("abc123"), "{shown}");
    assert!(events.iter().any(|e| matches!(e, DebugEvent::WsResponse { status: 101, .. })), "{shown}");
}

#[tokio::test]
async fn read_is_cancel_safe_inside_select() {
    let server = FakeWsServer::bind().await;
    let (mut transport, mut peer) = connect(&server, SubprotocolAnswer::FirstOffered).await;
    let packets: Vec<Packet> = (0..200u32).map(|i| publish("c/s", &i.to_be_bytes())).collect();
    let wire: Vec<Bytes> = packets.iter().map(|p| encode_packet(p, V5)).collect();
    let writer = tokio::spawn(async move {
        for chunk in wire.chunks(3) {
            let joined: Vec<u8> = chunk.concat();
            // Cut each batch in two so packets straddle messages too.
            let (a, b) = joined.split_at(joined.len() / 2 + 1);
            peer.send_binary(&[a, b]).await;
            tokio::time::sleep(Duration::from_micros(300)).await;
        }
        peer
    });
    let mut buf = BytesMut::new();
    let mut decoder = Decoder::new(V5);
    let mut got = Vec::new();
    let mut timer_wins = 0u32;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while got.len() < packets.len() && tokio::time::Instant::now() < deadline {
        tokio::select! {
            n = transport.read(&mut buf) => { assert_ne!(n.unwrap(), 0); }
            _ = tokio::time::sleep(Duration::from_micros(200)) => { timer_wins += 1; }
        }
        while let Some(p) = decoder.decode(&mut buf).unwrap() {
            got.push(p);
        }
    }
    assert_eq!(got, packets);
    assert!(timer_wins > 0, "the read was never cancelled, so this proved nothing");
    drop(writer.await.unwrap());
}

#[tokio::test]
async fn publishes_queued_together_leave_the_session_in_one_websocket_message() {
    use mqscope::session::{self, Command, OutgoingPublish, SessionConfig, SessionEvent, TaskOptions};
    let server = FakeWsServer::bind().await;
    let session_config = SessionConfig { client_id: "batch".into(), version_forced: true, ..SessionConfig::default() };
    let mut handle = session::spawn(TaskOptions::new(TransportOptions::new(server.url("/mqtt")), session_config));
    let mut peer = server.accept(SubprotocolAnswer::FirstOffered).await;
    assert!(matches!(peer.next_message().await, Some(Message::Binary(_))), "CONNECT first");
    peer.send_binary(&[&encode_packet(&connack(), V5)]).await;
    tokio::time::timeout(Duration::from_secs(10), async {
        while !matches!(handle.events.recv().await, Some(SessionEvent::Connected(_))) {}
    })
    .await
    .expect("connected");
    // Queued before the session task runs again (a current-thread runtime): it finds them together.
    for token in 0..50 {
        let publish = OutgoingPublish {
            topic: "t".into(),
            payload: Bytes::from_static(b"x"),
            qos: QoS::AtMostOnce,
            retain: false,
            properties: Properties::default(),
        };
        handle.commands.try_send(Command::Publish { token, publish }).expect("room in the queue");
    }
    let mut decoder = Decoder::new(V5);
    let (mut messages, mut publishes) = (0, 0);
    tokio::time::timeout(Duration::from_secs(10), async {
        while publishes < 50 {
            let Some(Message::Binary(data)) = peer.next_message().await else { continue };
            messages += 1;
            let mut buf = BytesMut::from(&data[..]);
            while let Some(p) = decoder.decode(&mut buf).unwrap() {
                publishes += usize::from(matches!(p, Packet::Publish(_)));
            }
        }
    })
    .await
    .expect("50 publishes within 10 s");
    assert_eq!(messages, 1, "50 queued publishes took {messages} WebSocket messages");
}
