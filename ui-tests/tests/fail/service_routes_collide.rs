use scw_private::scw_private;

struct Request<T>(T);
struct Status;

trait Store {
    async fn get_ab(&self, request: Request<()>) -> Result<(), Status>;
    async fn get_a_b(&self, request: Request<()>) -> Result<(), Status>;
}

struct MyStore;

// Both are `GetAB` to a route: which one a call means cannot be told.
#[scw_private]
impl Store for MyStore {
    async fn get_ab(&self, request: Request<()>) -> Result<(), Status> {
        let _ = request.0;
        Ok(())
    }

    #[scw_private(container)]
    async fn get_a_b(&self, request: Request<()>) -> Result<(), Status> {
        let _ = request.0;
        Ok(())
    }
}

fn main() {}
