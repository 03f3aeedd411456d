#[goro::main(flavor = "current_thread", worker_threads = 2)]
async fn main() {}

#[goro::test(worker_threads = 4, flavor = "current_thread")]
async fn four_workers_on_one_thread() {}
