//! Rendering and tree-update costs with a big namespace: 10,000 topics expanded in the explorer.
//!
//! The tree is built through the public API the way the running app builds it: `App::start`
//! and `App::update(Action::Expand)` hand out `Request`s, and the benchmark answers them with
//! `Event::Response` values carrying the same ids (the app drops answers it did not ask for).
//!
//! `cargo bench --bench render` (add `-- --quick` for a fast run). `BENCH_TOPICS=100000`
//! runs the same benches with another count (the names keep saying 10k).

// the binary's allocator (src/main.rs), so that the numbers are the binary's
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::TestBackend;
use ratatui::Terminal;

use pulsar_tui::app::keys::Action;
use pulsar_tui::app::tree::NodeKey;
use pulsar_tui::app::{App, Event, Settings};
use pulsar_tui::pulsar::request::{ExplorerRequest, ExplorerResponse, Request, RequestKind, Response, ResponseKind};
use pulsar_tui::pulsar::stats::{PublisherStats, SubscriptionStats, TenantInfo, TopicStats};
use pulsar_tui::pulsar::{TopicEntry, TopicName};
use pulsar_tui::ui::{self, theme::Theme};

const WIDTH: u16 = 160;
const HEIGHT: u16 = 48;
/// The topic count: 10,000, or `BENCH_TOPICS`.
fn topics() -> usize {
    std::env::var("BENCH_TOPICS").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000)
}
const TENANT: &str = "bench";
const NAMESPACE: &str = "bench/big";

/// 10,000 topics of `bench/big`; every 50th is partitioned (8 partitions).
fn topic_entries() -> Vec<TopicEntry> {
    (0..topics())
        .map(|i| TopicEntry {
            name: TopicName::parse(&format!("persistent://{NAMESPACE}/topic-{i:05}")).unwrap(),
            partitions: if i % 50 == 0 { 8 } else { 0 },
        })
        .collect()
}

fn topic_stats() -> TopicStats {
    let sub = |t: &str, backlog: i64| SubscriptionStats {
        sub_type: t.into(),
        msg_rate_out: 12.5,
        msg_backlog: backlog,
        unacked_messages: 3,
        is_durable: true,
        ..SubscriptionStats::default()
    };
    TopicStats {
        msg_rate_in: 120.0,
        msg_rate_out: 118.5,
        msg_throughput_in: 64_000.0,
        msg_throughput_out: 63_000.0,
        msg_in_counter: 1_234_567,
        msg_out_counter: 1_230_000,
        storage_size: 48_000_000,
        backlog_size: 1_200_000,
        publishers: vec![PublisherStats { producer_name: "p-0".into(), ..PublisherStats::default() }],
        subscriptions: [
            ("analytics", sub("Exclusive", 0)),
            ("billing", sub("Shared", 420)),
            ("audit", sub("Failover", 12_000)),
        ]
        .into_iter()
        .map(|(n, s)| (n.to_string(), s))
        .collect(),
        ..TopicStats::default()
    }
}

/// What the broker would answer to `kind` (None for requests the benchmark leaves pending).
fn broker_answer(kind: &RequestKind, topics: &[TopicEntry]) -> Option<ResponseKind> {
    Some(match kind {
        RequestKind::Explorer(ExplorerRequest::FetchClusterInfo) => {
            ResponseKind::Explorer(ExplorerResponse::ClusterInfoFetched {
                clusters: vec!["standalone".into()],
                version: "4.0.8".into(),
            })
        }
        RequestKind::Explorer(ExplorerRequest::ListTenants) => {
            ResponseKind::Explorer(ExplorerResponse::TenantsListed {
                tenants: [TENANT, "ops", "public", "pulsar"].map(String::from).to_vec(),
            })
        }
        RequestKind::Explorer(ExplorerRequest::FetchTenantInfo { tenant }) => {
            ResponseKind::Explorer(ExplorerResponse::TenantInfoFetched {
                tenant: tenant.clone(),
                info: TenantInfo { admin_roles: vec![], allowed_clusters: vec!["standalone".into()] },
            })
        }
        RequestKind::Explorer(ExplorerRequest::ListNamespaces { tenant }) if tenant == TENANT => {
            ResponseKind::Explorer(ExplorerResponse::NamespacesListed {
                tenant: tenant.clone(),
                namespaces: vec![NAMESPACE.into(), format!("{TENANT}/small")],
            })
        }
        RequestKind::Explorer(ExplorerRequest::ListTopics { namespace }) if namespace == NAMESPACE => {
            ResponseKind::Explorer(ExplorerResponse::TopicsListed {
                namespace: namespace.clone(),
                topics: topics.to_vec(),
            })
        }
        RequestKind::Explorer(ExplorerRequest::FetchTopicStats { topic, .. }) => {
            ResponseKind::Explorer(ExplorerResponse::TopicStatsFetched {
                topic: topic.clone(),
                stats: Box::new(topic_stats()),
            })
        }
        _ => return None,
    })
}

/// Answers every request the broker would, feeding follow-up requests back until none is left.
fn answer_all(app: &mut App, mut reqs: Vec<Request>, topics: &[TopicEntry]) {
    while let Some(r) = reqs.pop() {
        if let Some(kind) = broker_answer(&r.kind, topics) {
            reqs.extend(app.handle(Event::Response(Response { id: r.id, kind })));
        }
    }
}

/// An app whose tree shows tenant `bench` and namespace `bench/big` expanded, with the
/// `ListTopics` request of `bench/big` issued but not answered yet.
fn app_waiting_for_topics() -> (App, Request) {
    let mut app = App::new(Settings::default(), Instant::now());
    app.handle(Event::Resize(WIDTH, HEIGHT));
    let reqs = app.start();
    answer_all(&mut app, reqs, &[]);
    // the selection starts on the first tenant: bench
    assert_eq!(app.explorer.tree.selected_key(), Some(NodeKey::Tenant(TENANT.into())));
    let reqs = app.update(Action::Expand);
    answer_all(&mut app, reqs, &[]);
    let reqs = app.update(Action::Down);
    answer_all(&mut app, reqs, &[]);
    assert_eq!(app.explorer.tree.selected_key(), Some(NodeKey::Namespace(NAMESPACE.into())));
    let mut reqs = app.update(Action::Expand);
    let i = reqs
        .iter()
        .position(|r| matches!(&r.kind, RequestKind::Explorer(ExplorerRequest::ListTopics { namespace }) if namespace == NAMESPACE))
        .expect("expanding the namespace lists its topics");
    let list = reqs.swap_remove(i);
    answer_all(&mut app, reqs, &[]);
    (app, list)
}

/// The app with 10,000 topics expanded, the selection on the middle topic and its stats shown.
fn loaded_app(topics: &[TopicEntry]) -> App {
    let (mut app, list) = app_waiting_for_topics();
    answer_all(&mut app, vec![list], topics);
    let rows = app.explorer.tree.rows().len();
    assert!(rows > topics.len(), "the {} topics are visible ({rows} rows)", topics.len());
    // jump near the middle, then one real move so the details pane follows
    app.explorer.tree.move_by((rows / 2) as isize - 1 - app.explorer.tree.selected_index() as isize);
    let reqs = app.update(Action::Down);
    answer_all(&mut app, reqs, topics);
    assert!(matches!(app.explorer.tree.selected_key(), Some(NodeKey::Topic(_))));
    assert!(app.explorer.details.stats.is_some(), "the stats of the selected topic are shown");
    app
}

fn terminal() -> Terminal<TestBackend> {
    Terminal::new(TestBackend::new(WIDTH, HEIGHT)).unwrap()
}

fn key(code: KeyCode) -> Event {
    Event::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn benches(c: &mut Criterion) {
    let topics = topic_entries();
    let theme = Theme::default();

    // one full frame: header breadcrumb, 10,000-row explorer (selection in the middle),
    // details with stats and subscriptions table, status bar
    {
        let app = loaded_app(&topics);
        let mut term = terminal();
        c.bench_function("frame/10k topics, selection in the middle", |b| {
            b.iter(|| {
                term.draw(|f| ui::render(f, &app, &theme)).unwrap();
            })
        });
    }

    // `j` then the frame it causes; alternates down and up so the selection stays in the middle.
    // The stats request each move issues is answered outside the measured time (keeps the
    // app's pending requests bounded); the measured frame shows "loading stats…" as the
    // real app does until the broker answers.
    {
        let mut app = loaded_app(&topics);
        let mut term = terminal();
        let mut down = true;
        c.bench_function("key+frame/10k topics, move selection", |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let code = if down { KeyCode::Char('j') } else { KeyCode::Char('k') };
                    down = !down;
                    let start = Instant::now();
                    let reqs = app.handle(key(code));
                    if app.take_dirty() {
                        term.draw(|f| ui::render(f, &app, &theme)).unwrap();
                    }
                    total += start.elapsed();
                    answer_all(&mut app, black_box(reqs), &topics);
                }
                total
            })
        });
    }

    // the first answer of a 10,000-topic namespace being expanded
    c.bench_function("apply/TopicsListed 10k (first load)", |b| {
        b.iter_batched(
            || {
                let (app, list) = app_waiting_for_topics();
                let kind = broker_answer(&list.kind, &topics).unwrap();
                (app, Response { id: list.id, kind })
            },
            |(mut app, response)| {
                let reqs = app.handle(Event::Response(response));
                (app, reqs)
            },
            BatchSize::LargeInput,
        )
    });

    let mut slow = c.benchmark_group("slow");
    slow.sample_size(10);
    // `r` on the namespace: the fresh list is merged into the 10,000 nodes already loaded
    slow.bench_function("apply/TopicsListed 10k (reload, merge)", |b| {
        b.iter_batched(
            || {
                let mut app = loaded_app(&topics);
                assert!(app.explorer.tree.select_key(&NodeKey::Namespace(NAMESPACE.into())));
                let reqs = app.update(Action::Refresh);
                let list = reqs
                    .into_iter()
                    .find(|r| matches!(r.kind, RequestKind::Explorer(ExplorerRequest::ListTopics { .. })))
                    .expect("r on a namespace lists its topics again");
                let kind = broker_answer(&list.kind, &topics).unwrap();
                (app, Response { id: list.id, kind })
            },
            |(mut app, response)| {
                let reqs = app.handle(Event::Response(response));
                (app, reqs)
            },
            BatchSize::LargeInput,
        )
    });
    // typing one character of a filter over 10,000 loaded topics, and the frame it causes
    slow.bench_function("key+frame/10k topics, filter keystroke", |b| {
        b.iter_batched(
            || {
                let mut app = loaded_app(&topics);
                app.handle(key(KeyCode::Char('/')));
                app.handle(key(KeyCode::Char('4')));
                let mut term = terminal();
                term.draw(|f| ui::render(f, &app, &theme)).unwrap();
                (app, term)
            },
            |(mut app, mut term)| {
                app.handle(key(KeyCode::Char('2')));
                term.draw(|f| ui::render(f, &app, &theme)).unwrap();
                (app, term)
            },
            BatchSize::LargeInput,
        )
    });
    slow.finish();
}

criterion_group!(render, benches);
criterion_main!(render);
