use std::future::Future;
use std::pin::Pin;

use scw_private::scw_private;

struct Request<T>(T);
struct Status;

// What async-trait makes of an `async fn` when its attribute runs first.
trait Greeter {
    fn say_hello(
        &self,
        request: Request<()>,
    ) -> Pin<Box<dyn Future<Output = Result<(), Status>> + Send + '_>>;
}

struct MyGreeter;

#[scw_private]
impl Greeter for MyGreeter {
    #[scw_private(container)]
    fn say_hello(
        &self,
        request: Request<()>,
    ) -> Pin<Box<dyn Future<Output = Result<(), Status>> + Send + '_>> {
        Box::pin(async move {
            let _ = request.0;
            Ok(())
        })
    }
}

fn main() {}
