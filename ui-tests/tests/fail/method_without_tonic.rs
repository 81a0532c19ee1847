use scw_private::scw_private;

// Without the `tonic-0_14` feature, a method's request is no gRPC request.
struct Request<T>(T);
struct Status;

trait Greeter {
    async fn say_hello(&self, request: Request<()>) -> Result<(), Status>;
}

struct MyGreeter;

#[scw_private]
impl Greeter for MyGreeter {
    #[scw_private(container)]
    async fn say_hello(&self, request: Request<()>) -> Result<(), Status> {
        let _ = request.0;
        Ok(())
    }
}

fn main() {}
