#[goro::test(worker_threads(4))]
async fn parenthesized() {}

#[goro::test(4)]
async fn no_name() {}

fn main() {}
