//! Our consume-only limit for `pulsar-tui dlq requeue`: a bare pulsar-rs `Consumer` that reads
//! a topic's backlog and does nothing else (nothing decoded, sent or acknowledged).
//!
//! The same kind of consumer the requeue opens on the DLQ: durable, Exclusive, from the
//! earliest message. It counts messages until it has read N, then prints one JSON line on
//! stdout with the rate and, when the broker runs on this machine, the broker's CPU seconds
//! over the run (utime + stime of the pid in $PULSAR_RUN_DIR/pulsar.pid, default
//! /tmp/pulsar-standalone-run; BROKER_PID=pid names another process).
//!
//! `cargo build --release --example consume_only`, then
//! `target/release/examples/consume_only TOPIC N [SUBSCRIPTION] [SERVICE_URL]`
//! (SUBSCRIPTION defaults to consume-only-<pid>; SERVICE_URL to $PULSAR_SERVICE_URL, then
//! pulsar://127.0.0.1:6650). The two flow-control knobs of pulsar-rs are read from the
//! environment:
//!   CONSUME_BATCH_SIZE      `ConsumerBuilder::with_batch_size` (pulsar-rs default 1000): the
//!                           permits of the CommandFlow at subscribe; the engine sends
//!                           another flow (batch_size - remaining) when fewer than half
//!                           remain, counting a batched entry as all of its messages
//!   CONSUME_RECEIVER_QUEUE  `ConsumerOptions::with_receiver_queue_size` (default 1000): the
//!                           capacity of the channel between the engine and this program
//! The clock starts before the connection (as for `pulsar-tui dlq requeue`, which also
//! connects, looks up and subscribes).

use std::time::Instant;

use futures::StreamExt;
use pulsar::consumer::{Consumer, ConsumerOptions, InitialPosition};
use pulsar::{Pulsar, SubType, TokioExecutor};

/// The broker's CPU ticks (utime + stime, in clock ticks of 1/100 s), when it runs here.
fn broker_ticks() -> Option<u64> {
    let pid = std::env::var("BROKER_PID").ok().filter(|v| !v.is_empty()).or_else(|| {
        let dir = std::env::var("PULSAR_RUN_DIR").ok().filter(|v| !v.is_empty()).unwrap_or_else(|| {
            format!("{}/pulsar-standalone-run", std::env::var("TMPDIR").unwrap_or_else(|_| "/tmp".into()))
        });
        std::fs::read_to_string(format!("{dir}/pulsar.pid")).ok().map(|s| s.trim().to_string())
    })?;
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // the fields after "(comm)": state is field 3, utime 14 and stime 15
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: consume_only TOPIC N [SUBSCRIPTION] [SERVICE_URL]";
    let topic = args.next().ok_or(usage)?;
    let n: u64 = args.next().ok_or(usage)?.parse().map_err(|e| format!("N: {e}"))?;
    let subscription = args.next().unwrap_or_else(|| format!("consume-only-{}", std::process::id()));
    let url = args
        .next()
        .or_else(|| std::env::var("PULSAR_SERVICE_URL").ok().filter(|v| !v.is_empty()))
        .unwrap_or_else(|| "pulsar://127.0.0.1:6650".into());
    let knob = |name: &str| std::env::var(name).ok().and_then(|v| v.parse::<u32>().ok());
    let batch_size = knob("CONSUME_BATCH_SIZE");
    let receiver_queue = knob("CONSUME_RECEIVER_QUEUE");

    let ticks_before = broker_ticks();
    let start = Instant::now();
    let pulsar: Pulsar<TokioExecutor> = Pulsar::builder(url, TokioExecutor).build().await?;
    let mut options = ConsumerOptions::default().with_initial_position(InitialPosition::Earliest);
    if let Some(q) = receiver_queue {
        options = options.with_receiver_queue_size(q);
    }
    let mut builder = pulsar
        .consumer()
        .with_topic(topic.clone())
        .with_subscription(subscription)
        .with_subscription_type(SubType::Exclusive)
        .with_consumer_name(format!("pulsar-tui-consume-only-{}", std::process::id()))
        .with_options(options);
    if let Some(b) = batch_size {
        builder = builder.with_batch_size(b);
    }
    let mut consumer: Consumer<Vec<u8>, TokioExecutor> = builder.build().await?;
    let mut first_at = None;
    let mut count = 0u64;
    while count < n {
        match consumer.next().await {
            Some(Ok(_message)) => {
                if count == 0 {
                    first_at = Some(start.elapsed().as_secs_f64());
                }
                count += 1;
            }
            Some(Err(e)) => return Err(format!("reading {topic} after {count} messages: {e}").into()),
            None => break,
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    let cpu = match (ticks_before, broker_ticks()) {
        (Some(a), Some(b)) => format!("{:.2}", (b - a) as f64 / 100.0),
        _ => "null".into(),
    };
    println!(
        "{{\"read\": {count}, \"seconds\": {seconds:.3}, \"first_message_s\": {:.3}, \"msgs_per_s\": {:.0}, \
         \"broker_cpu_s\": {cpu}, \"batch_size\": {}, \"receiver_queue\": {}}}",
        first_at.unwrap_or(0.0),
        count as f64 / seconds,
        batch_size.unwrap_or(1000),
        receiver_queue.unwrap_or(1000),
    );
    // no close(): with messages still buffered, pulsar-rs's close waits on an engine that is
    // itself waiting for room in the full channel; the broker drops the consumer with the
    // connection when the process exits
    drop(consumer);
    if count < n {
        return Err(format!("the consumer ended after {count} of {n} messages").into());
    }
    Ok(())
}
