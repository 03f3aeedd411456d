#[goro::test(start_paused = 3)]
async fn three() {}

#[goro::test(start_paused)]
async fn no_value() {}

fn main() {}
