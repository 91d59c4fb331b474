//! The limit for `pulsar-tui read`: a bare pulsar-rs reader that decodes nothing.
//!
//! One non-durable reader (the same kind `pulsar-tui read` opens per partition), from the
//! earliest message, with pulsar-rs's default options; it counts messages until it has
//! read N and prints the count and the elapsed time. No metadata is copied, no payload is
//! looked at, nothing is written per message. Used by `scripts/bench-read`.
//!
//! `cargo run --release --example bare_reader -- TOPIC N [SERVICE_URL]`
//! (SERVICE_URL defaults to $PULSAR_SERVICE_URL, then pulsar://127.0.0.1:6650).
//! Prints `count=N elapsed_s=S msgs_per_s=R` on stderr; the clock starts before the
//! connection (as for `pulsar-tui read`, which also connects, looks up and subscribes).
//! For experiments, BARE_BATCH_SIZE (flow permits per request, pulsar-rs default 1000) and
//! BARE_RECEIVER_QUEUE (pulsar-rs default 1000) override the two flow-control knobs, and
//! BARE_NO_ACK=1 reads with a non-durable `Consumer` that never acks, instead of the
//! `Reader` (which sends one CommandAck per message): what reading could cost without that.

use std::time::Instant;

use futures::StreamExt;
use pulsar::consumer::{Consumer, ConsumerOptions, InitialPosition};
use pulsar::reader::Reader;
use pulsar::{Pulsar, TokioExecutor};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: bare_reader TOPIC N [SERVICE_URL]";
    let topic = args.next().ok_or(usage)?;
    let n: u64 = args.next().ok_or(usage)?.parse().map_err(|e| format!("N: {e}"))?;
    let url = args
        .next()
        .or_else(|| std::env::var("PULSAR_SERVICE_URL").ok().filter(|v| !v.is_empty()))
        .unwrap_or_else(|| "pulsar://127.0.0.1:6650".into());

    let start = Instant::now();
    let pulsar: Pulsar<TokioExecutor> = Pulsar::builder(url, TokioExecutor).build().await?;
    let knob = |name: &str| std::env::var(name).ok().and_then(|v| v.parse::<u32>().ok());
    let mut options = ConsumerOptions::default().durable(false).with_initial_position(InitialPosition::Earliest);
    if let Some(q) = knob("BARE_RECEIVER_QUEUE") {
        options = options.with_receiver_queue_size(q);
    }
    let mut builder =
        pulsar.reader().with_topic(topic.clone()).with_consumer_name("pulsar-tui-bare-reader").with_options(options);
    if let Some(b) = knob("BARE_BATCH_SIZE") {
        builder = builder.with_batch_size(b);
    }
    let mut stream: std::pin::Pin<Box<dyn futures::Stream<Item = Result<_, pulsar::Error>>>> =
        if std::env::var("BARE_NO_ACK").is_ok_and(|v| v == "1") {
            let consumer: Consumer<Vec<u8>, TokioExecutor> = builder
                .with_subscription(format!("bare-reader-{}", std::process::id()))
                .with_subscription_type(pulsar::SubType::Exclusive)
                .build()
                .await?;
            Box::pin(consumer)
        } else {
            let reader: Reader<Vec<u8>, TokioExecutor> = builder.into_reader().await?;
            Box::pin(reader)
        };

    let mut count = 0u64;
    while count < n {
        match stream.next().await {
            Some(Ok(_message)) => count += 1,
            Some(Err(e)) => return Err(format!("reading {topic} after {count} messages: {e}").into()),
            None => break,
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    eprintln!("count={count} elapsed_s={elapsed:.3} msgs_per_s={:.0}", count as f64 / elapsed);
    if count < n {
        return Err(format!("the reader ended after {count} of {n} messages").into());
    }
    Ok(())
}
