#[goro::test(worker_threads = "4")]
async fn quoted() {}

#[goro::test(worker_threads = 2.5)]
async fn float() {}

#[goro::test(worker_threads = -1)]
async fn negative() {}

#[goro::test(worker_threads = 4u8)]
async fn wrong_suffix() {}

fn main() {}
