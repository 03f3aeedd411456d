#[goro::main(flavor = "single_thread")]
async fn main() {}

#[goro::test(flavor = current_thread)]
async fn not_a_string() {}

#[goro::test(flavor)]
async fn no_value() {}
