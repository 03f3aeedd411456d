#[goro::test(flavor = "current_thread")]
async fn unknown() {}

fn main() {}
