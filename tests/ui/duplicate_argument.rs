#[goro::test(worker_threads = 1, timeout_ms = 100, worker_threads = 2)]
async fn twice() {}

fn main() {}
