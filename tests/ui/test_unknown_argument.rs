#[goro::test(flavour = "current_thread")]
async fn unknown() {}

fn main() {}
