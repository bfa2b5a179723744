//! The transactional outbox: events survive a dead receiver and a killed relay.

use super::*;

/// A stand-in notification service: checks the caller is the funds service's
/// own principal, and records the event ids it accepted. In `hang` mode it
/// never answers (a receiver stuck mid-delivery).
#[derive(Clone)]
struct FakeNotify {
    accepted: Arc<Mutex<Vec<String>>>,
    calls: Arc<Mutex<usize>>,
    hang: Arc<Mutex<bool>>,
    verifier: Arc<TokenVerifier>,
}

impl FakeNotify {
    fn new() -> Self {
        let verifier = TokenVerifier::new(&AuthSettings {
            trusted_keys: vec![TrustedKey {
                kid: "funds".into(),
                issuer: "funds".into(),
                public_key_pem: FUNDS_PUBLIC_KEY.into(),
                allowed_roles: vec!["reader".into(), "relay".into()],
            }],
            service_signing_key: None,
            principal: Default::default(),
            audience: AUDIENCE.into(),
            clock_skew_seconds: 0,
        })
        .expect("verifier");
        FakeNotify {
            accepted: Arc::default(),
            calls: Arc::default(),
            hang: Arc::default(),
            verifier: Arc::new(verifier),
        }
    }

    async fn serve(&self, addr: SocketAddr) {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .expect("binding the receiver");
        let service = NotificationServiceServer::new(self.clone());
        tokio::spawn(
            tonic::transport::Server::builder()
                .add_service(service)
                .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener)),
        );
    }
}

#[tonic::async_trait]
impl NotificationService for FakeNotify {
    async fn publish_event(
        &self,
        request: Request<notify::PublishEventRequest>,
    ) -> Result<Response<notify::PublishEventResponse>, Status> {
        let bearer = request
            .metadata()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or_else(|| Status::unauthenticated("no token"))?;
        let caller = self
            .verifier
            .verify(bearer)
            .map_err(Status::unauthenticated)?;
        if caller.user_id != "service:funds" {
            return Err(Status::permission_denied("service principals only"));
        }
        *self.calls.lock().expect("lock") += 1;
        let hang = *self.hang.lock().expect("lock");
        if hang {
            std::future::pending::<()>().await;
        }
        let event = request.into_inner();
        let mut accepted = self.accepted.lock().expect("lock");
        let duplicate = accepted.contains(&event.event_id);
        accepted.push(event.event_id.clone());
        Ok(Response::new(notify::PublishEventResponse {
            event_id: event.event_id,
            duplicate,
            recipient_count: 1,
            deliveries_scheduled: 1,
        }))
    }

    async fn list_inbox(
        &self,
        _: Request<notify::ListInboxRequest>,
    ) -> Result<Response<notify::ListInboxResponse>, Status> {
        Err(Status::unimplemented("fake"))
    }
    async fn mark_read(
        &self,
        _: Request<notify::MarkReadRequest>,
    ) -> Result<Response<notify::MarkReadResponse>, Status> {
        Err(Status::unimplemented("fake"))
    }
    async fn list_delivery_attempts(
        &self,
        _: Request<notify::ListDeliveryAttemptsRequest>,
    ) -> Result<Response<notify::ListDeliveryAttemptsResponse>, Status> {
        Err(Status::unimplemented("fake"))
    }
    async fn get_template(
        &self,
        _: Request<notify::GetTemplateRequest>,
    ) -> Result<Response<notify::Template>, Status> {
        Err(Status::unimplemented("fake"))
    }
    async fn list_templates(
        &self,
        _: Request<notify::ListTemplatesRequest>,
    ) -> Result<Response<notify::ListTemplatesResponse>, Status> {
        Err(Status::unimplemented("fake"))
    }
    async fn update_template(
        &self,
        _: Request<notify::UpdateTemplateRequest>,
    ) -> Result<Response<notify::Template>, Status> {
        Err(Status::unimplemented("fake"))
    }
    async fn preview_template(
        &self,
        _: Request<notify::PreviewTemplateRequest>,
    ) -> Result<Response<notify::PreviewTemplateResponse>, Status> {
        Err(Status::unimplemented("fake"))
    }
    async fn get_contact_preferences(
        &self,
        _: Request<notify::GetContactPreferencesRequest>,
    ) -> Result<Response<notify::ContactPreferences>, Status> {
        Err(Status::unimplemented("fake"))
    }
    async fn update_contact_preferences(
        &self,
        _: Request<notify::UpdateContactPreferencesRequest>,
    ) -> Result<Response<notify::ContactPreferences>, Status> {
        Err(Status::unimplemented("fake"))
    }
    async fn verify_audit_chain(
        &self,
        _: Request<common::VerifyAuditChainRequest>,
    ) -> Result<Response<common::VerifyAuditChainResponse>, Status> {
        Err(Status::unimplemented("fake"))
    }
    async fn list_audit_entries(
        &self,
        _: Request<common::ListAuditEntriesRequest>,
    ) -> Result<Response<common::ListAuditEntriesResponse>, Status> {
        Err(Status::unimplemented("fake"))
    }
}

async fn pending_notify(pool: &sqlx::PgPool) -> (i64, i64) {
    sqlx::query_as(
        "SELECT count(*) FILTER (WHERE delivered_at IS NULL), COALESCE(min(attempts) FILTER (WHERE delivered_at IS NULL), 0)::bigint
         FROM event_deliveries WHERE destination = 'notify'",
    )
    .fetch_one(pool)
    .await
    .expect("pending")
}

async fn eventually(what: &str, mut check: impl AsyncFnMut() -> bool) {
    for _ in 0..200 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting until {what}");
}

/// The events that tell the notification service, oldest first.
async fn notify_events(pool: &sqlx::PgPool) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT o.event_id::text FROM event_outbox o JOIN event_deliveries d USING (event_id)
         WHERE d.destination = 'notify' ORDER BY o.seq",
    )
    .fetch_all(pool)
    .await
    .expect("events")
}

/// Settings that relay to a notification service at `receiver`, as the
/// funds service's own principal, polling and retrying quickly.
fn relaying_to(receiver: SocketAddr) -> impl Fn(&mut relief_funds::Settings) + Copy {
    move |settings: &mut relief_funds::Settings| {
        settings
            .runtime
            .peers
            .insert("notify", &format!("http://{receiver}"));
        settings.runtime.peers.timeout_ms = 60_000;
        settings.runtime.auth.service_signing_key = Some(SecretString::from(FUNDS_PRIVATE_KEY));
        settings.runtime.auth.principal.roles = [Role::Reader, Role::Relay]
            .into_iter()
            .map(|role| RoleBinding {
                role,
                org_path: "/1/".into(),
            })
            .collect();
        settings.runtime.outbox.poll_interval_ms = 50;
        settings.runtime.outbox.initial_backoff_ms = 50;
        settings.runtime.outbox.max_backoff_ms = 200;
    }
}

/// A funds service relaying to a notification service that is down (nothing
/// listens at its address yet), and a budget, an allocation and its payment
/// written meanwhile.
struct ReceiverDown {
    schema: String,
    receiver_addr: SocketAddr,
    funds: Funds,
    pool: sqlx::PgPool,
}

async fn changes_while_the_receiver_is_down() -> ReceiverDown {
    // An address where nothing listens yet.
    let receiver_addr = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("probe");
        probe.local_addr().expect("addr")
    };
    let schema = unique_schema("funds");
    let funds = Funds::start(&schema, relaying_to(receiver_addr)).await;
    let pool = raw_pool(&schema).await;
    top_up(&mut funds.finance().await, 1_000_000).await;
    let alloc = allocate(
        &mut funds.department().await,
        funds
            .allocation("app-relay", "m-relay", branch(12), 30_000)
            .await,
    )
    .await
    .expect("allocation");
    pay(&mut funds.branch_staff().await, &alloc).await;
    ReceiverDown {
        schema,
        receiver_addr,
        funds,
        pool,
    }
}

impl ReceiverDown {
    async fn until_the_relay_has_failed_several_times(&self) {
        eventually("the relay has failed several times", async || {
            pending_notify(&self.pool).await.1 >= 3
        })
        .await;
    }

    /// The receiver comes back but hangs mid-delivery, and the service is
    /// killed there: what is left, and the receiver (still hanging).
    async fn killed_mid_delivery(self) -> KilledMidDelivery {
        self.until_the_relay_has_failed_several_times().await;
        let receiver = FakeNotify::new();
        *receiver.hang.lock().expect("lock") = true;
        receiver.serve(self.receiver_addr).await;
        eventually("the relay is mid-delivery", async || {
            *receiver.calls.lock().expect("lock") > 0
        })
        .await;
        self.funds.kill().await;
        KilledMidDelivery {
            schema: self.schema,
            receiver_addr: self.receiver_addr,
            pool: self.pool,
            receiver,
        }
    }
}

struct KilledMidDelivery {
    schema: String,
    receiver_addr: SocketAddr,
    pool: sqlx::PgPool,
    receiver: FakeNotify,
}

#[tokio::test]
async fn events_are_written_with_the_changes_that_cause_them() {
    let down = changes_while_the_receiver_is_down().await;
    let events = notify_events(&down.pool).await;
    assert_eq!(
        events.len(),
        2,
        "allocation and payment tell the notification service"
    );
    assert_eq!(
        count(&down.pool, "event_outbox").await,
        3,
        "budget, allocation, payment"
    );
}

#[tokio::test]
async fn while_the_receiver_is_down_events_are_retried_and_never_marked_delivered() {
    let down = changes_while_the_receiver_is_down().await;
    down.until_the_relay_has_failed_several_times().await;
    assert_eq!(pending_notify(&down.pool).await.0, 2);
    let error: String = sqlx::query_scalar(
        "SELECT last_error FROM event_deliveries WHERE destination = 'notify' LIMIT 1",
    )
    .fetch_one(&down.pool)
    .await
    .expect("error");
    assert!(!error.is_empty());
}

#[tokio::test]
async fn a_relay_killed_mid_delivery_loses_nothing_and_marks_nothing_delivered() {
    let killed = changes_while_the_receiver_is_down()
        .await
        .killed_mid_delivery()
        .await;
    assert_eq!(
        pending_notify(&killed.pool).await.0,
        2,
        "nothing lost, nothing marked delivered"
    );
    assert!(killed.receiver.accepted.lock().expect("lock").is_empty());
}

#[tokio::test]
async fn after_a_restart_every_event_is_delivered_once_the_receiver_answers() {
    let killed = changes_while_the_receiver_is_down()
        .await
        .killed_mid_delivery()
        .await;
    let events = notify_events(&killed.pool).await;
    // The receiver answers again; the service restarts and delivers everything.
    *killed.receiver.hang.lock().expect("lock") = false;
    let funds = Funds::start(&killed.schema, relaying_to(killed.receiver_addr)).await;
    eventually("every event is delivered", async || {
        pending_notify(&killed.pool).await.0 == 0
    })
    .await;
    let accepted: HashSet<String> = killed
        .receiver
        .accepted
        .lock()
        .expect("lock")
        .iter()
        .cloned()
        .collect();
    assert_eq!(accepted, events.iter().cloned().collect::<HashSet<_>>());
    funds.kill().await;
}
