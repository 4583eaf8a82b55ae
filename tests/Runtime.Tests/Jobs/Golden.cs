namespace OtelGen.Runtime.Tests.Jobs;

/// <summary>
/// Golden renderings (see TraceTree.Render): span name [kind status] start..end in ms from the request start,
/// @attributes in order, ! events with their time. Reviewed by hand; a change here is a change in what users see.
/// </summary>
internal static class Golden
{
    public const string Ok200 = """
        GET /posts/{id} [Server Unset] 0..5.6
          @http.request.method=GET
          @http.route=/posts/{id}
          @url.scheme=http
          @url.path=/posts/42
          @server.address=127.0.0.1
          @server.port=8080
          @client.address=127.0.0.1
          @user_agent.original=golden/1.0
          @network.protocol.version=1.1
          @http.response.status_code=200
          step.load_post [Internal Ok] 0.2..4.5
            @otelgen.step.name=load_post
            @job.queue=steps
            @job.queue_wait_ms=1
            @job.dispatch_ms=0.1
            @job.park_wait_ms_total=2.5
            @job.run_active_ms=0.7
            @job.park_count=1
            ! 0.2 job.enqueued job.queue=steps job.queue_depth=1
            ! 1.2 job.taken job.queue_depth=0
            ! 1.3 job.started
            ! 1.5 need.requested effects=[db.get blog_post] mode=sequential join=all
            ! 1.5 job.parked job.park.cause=io_wait job.park.token=need-1
            ! 4 job.resumed job.park.wait_ms=2.5
            ! 4.5 job.completed job.success=true
            db.get blog_post [Client Unset] 1.5..3.9
              @db.operation.name=get
              @db.collection.name=blog_post
              @otelgen.effect.system=db
              @otelgen.effect.operation=get
              @otelgen.effect.target=blog_post
              @job.queue=io
              @job.queue_wait_ms=0.3
              @job.dispatch_ms=0.1
              @job.park_wait_ms_total=0
              @job.run_active_ms=2
              @job.park_count=0
              ! 1.5 job.enqueued job.queue=io job.queue_depth=1
              ! 1.8 job.taken job.queue_depth=0
              ! 1.9 job.started
              ! 3.9 job.completed job.success=true
            step.load_post.resume [Internal Unset] 4..4.5
              @otelgen.step.name=load_post
              ! 4 need.join completed=1 failed=0 duration_ms=2.5
              ! 4.3 slot.write slot=post size_bytes=512
          step.render [Internal Ok] 4.6..5.4
            @otelgen.step.name=render
            @job.queue=steps
            @job.queue_wait_ms=0.2
            @job.dispatch_ms=0.1
            @job.park_wait_ms_total=0
            @job.run_active_ms=0.5
            @job.park_count=0
            ! 4.6 job.enqueued job.queue=steps job.queue_depth=1
            ! 4.8 job.taken job.queue_depth=0
            ! 4.9 job.started
            ! 5.4 job.completed job.success=true
        """;

    public const string NotFound404 = """
        GET /posts/{id} [Server Unset] 0..1
          @http.request.method=GET
          @http.route=/posts/{id}
          @url.scheme=http
          @url.path=/posts/abc
          @server.address=127.0.0.1
          @server.port=8080
          @client.address=127.0.0.1
          @user_agent.original=golden/1.0
          @network.protocol.version=1.1
          @http.response.status_code=404
          step.validate [Internal Ok] 0.1..0.9
            @otelgen.step.name=validate
            @job.queue=steps
            @validation.reason=id is not a number
            @job.queue_wait_ms=0.4
            @job.dispatch_ms=0.1
            @job.park_wait_ms_total=0
            @job.run_active_ms=0.3
            @job.park_count=0
            ! 0.1 job.enqueued job.queue=steps job.queue_depth=1
            ! 0.5 job.taken job.queue_depth=0
            ! 0.6 job.started
            ! 0.9 job.completed job.success=false
        """;

    public const string ServerError500 = """
        GET /posts/{id} [Server Error] 0..4
          @http.request.method=GET
          @http.route=/posts/{id}
          @url.scheme=http
          @url.path=/posts/42
          @server.address=127.0.0.1
          @server.port=8080
          @client.address=127.0.0.1
          @user_agent.original=golden/1.0
          @network.protocol.version=1.1
          @http.response.status_code=500
          @error.type=500
          step.load_post [Internal Error] 0.2..3.9
            @otelgen.step.name=load_post
            @job.queue=steps
            @error.type=db_unavailable
            @job.queue_wait_ms=0.5
            @job.dispatch_ms=0
            @job.park_wait_ms_total=2.9
            @job.run_active_ms=0.3
            @job.park_count=1
            ! 0.2 job.enqueued job.queue=steps job.queue_depth=1
            ! 0.7 job.taken job.queue_depth=0
            ! 0.7 job.started
            ! 0.9 job.parked job.park.cause=io_wait job.park.token=need-1
            ! 3.8 job.resumed job.park.wait_ms=2.9
            ! 3.9 job.completed job.success=false
            db.get blog_post [Client Error] 0.9..3.7
              @db.operation.name=get
              @db.collection.name=blog_post
              @otelgen.effect.system=db
              @otelgen.effect.operation=get
              @otelgen.effect.target=blog_post
              @job.queue=io
              @error.type=System.TimeoutException
              @job.queue_wait_ms=0.3
              @job.dispatch_ms=0
              @job.park_wait_ms_total=0
              @job.run_active_ms=2.5
              @job.park_count=0
              ! 0.9 job.enqueued job.queue=io job.queue_depth=1
              ! 1.2 job.taken job.queue_depth=0
              ! 1.2 job.started
              ! 2.2 retry attempt=1 reason=connection_reset backoff_ms=0.5
              ! 3.7 exception exception.type=System.TimeoutException exception.message=the database did not answer
              ! 3.7 job.completed job.success=false
            step.load_post.resume [Internal Unset] 3.8..3.9
              @otelgen.step.name=load_post
              ! 3.8 need.join completed=0 failed=1 duration_ms=2.9
        """;

    public const string QueueHeavy = """
        GET /posts/{id} [Server Unset] 0..27.099
          @http.request.method=GET
          @http.route=/posts/{id}
          @url.scheme=http
          @url.path=/posts/42
          @server.address=127.0.0.1
          @server.port=8080
          @client.address=127.0.0.1
          @user_agent.original=golden/1.0
          @network.protocol.version=1.1
          @http.response.status_code=200
          step.load_post [Internal Ok] 0.1..21.5
            @otelgen.step.name=load_post
            @job.queue=steps
            @job.queue_wait_ms=12
            @job.dispatch_ms=0.2
            @job.park_wait_ms_total=8.7
            @job.run_active_ms=0.5
            @job.park_count=1
            ! 12.3 job.started
            ! 21.5 job.completed job.success=true
            job.queue_wait [Internal Unset] 0.1..12.1
              @job.queue=steps
              @job.queue_depth.start=40
              @job.queue_depth.end=25
              ! 0.1 job.enqueued job.queue=steps job.queue_depth=40
              ! 12.1 job.taken job.queue_depth=25
            db.get blog_post [Client Unset] 12.4..21
              @db.operation.name=get
              @db.collection.name=blog_post
              @otelgen.effect.system=db
              @otelgen.effect.operation=get
              @otelgen.effect.target=blog_post
              @job.queue=io
              @job.queue_wait_ms=7
              @job.dispatch_ms=0.1
              @job.park_wait_ms_total=0
              @job.run_active_ms=1.5
              @job.park_count=0
              ! 19.5 job.started
              ! 21 job.completed job.success=true
              job.queue_wait [Internal Unset] 12.4..19.4
                @job.queue=io
                @job.queue_depth.start=9
                @job.queue_depth.end=0
                ! 12.4 job.enqueued job.queue=io job.queue_depth=9
                ! 19.4 job.taken job.queue_depth=0
            job.park [Internal Unset] 12.4..21.1
              @job.queue=steps
              @job.park.cause=io_wait
              @job.park.token=need-1
              ! 12.4 job.parked job.park.cause=io_wait job.park.token=need-1
              ! 21.1 job.resumed job.park.wait_ms=8.7
            step.load_post.resume [Internal Unset] 21.1..21.5
              @otelgen.step.name=load_post
          step.render [Internal Ok] 21.6..27.099
            @otelgen.step.name=render
            @job.queue=steps
            @job.queue_wait_ms=4.999
            @job.dispatch_ms=0
            @job.park_wait_ms_total=0
            @job.run_active_ms=0.5
            @job.park_count=0
            ! 21.6 job.enqueued job.queue=steps job.queue_depth=3
            ! 26.599 job.taken job.queue_depth=2
            ! 26.599 job.started
            ! 27.099 job.completed job.success=true
        """;

    public const string ParkHeavy = """
        GET /posts/{id}/publish [Server Unset] 0..37.7
          @http.request.method=GET
          @http.route=/posts/{id}/publish
          @url.scheme=http
          @url.path=/posts/42/publish
          @server.address=127.0.0.1
          @server.port=8080
          @client.address=127.0.0.1
          @user_agent.original=golden/1.0
          @network.protocol.version=1.1
          @http.response.status_code=200
          step.publish [Internal Ok] 0.1..37.6
            @otelgen.step.name=publish
            @job.queue=steps
            @job.queue_wait_ms=0.3
            @job.dispatch_ms=0
            @job.park_wait_ms_total=36
            @job.run_active_ms=1.2
            @job.park_count=4
            ! 0.1 job.enqueued job.queue=steps job.queue_depth=1
            ! 0.4 job.taken job.queue_depth=0
            ! 0.4 job.started
            ! 8.9 job.parked job.park.cause=io_wait job.park.token=need-1
            ! 10.9 job.resumed job.park.wait_ms=2
            ! 37.6 job.completed job.success=true
            job.park [Internal Unset] 0.6..8.6
              @job.queue=steps
              @job.park.cause=rate_limit
              @job.park.token=api-quota
              @job.limit.current=10
              @job.limit.max=10
              ! 0.6 job.parked job.park.cause=rate_limit job.park.token=api-quota job.limit.current=10 job.limit.max=10
              ! 8.6 job.resumed job.park.wait_ms=8
            step.publish.resume [Internal Unset] 8.6..8.9
              @otelgen.step.name=publish
            step.publish.resume [Internal Unset] 10.9..11.1
              @otelgen.step.name=publish
            job.park [Internal Unset] 11.1..17.1
              @job.queue=steps
              @job.park.cause=lock
              @job.park.token=post:42
              @job.limit.current=1
              @job.limit.max=1
              ! 11.1 job.parked job.park.cause=lock job.park.token=post:42 job.limit.current=1 job.limit.max=1
              ! 17.1 job.resumed job.park.wait_ms=6
            step.publish.resume [Internal Unset] 17.1..17.2
              @otelgen.step.name=publish
              ! 17.2 retry attempt=1 reason=conflict backoff_ms=20
            job.park [Internal Unset] 17.2..37.2
              @job.queue=steps
              @job.park.cause=timer
              @job.park.token=retry-1
              ! 17.2 job.parked job.park.cause=timer job.park.token=retry-1
              ! 37.2 job.resumed job.park.wait_ms=20
            step.publish.resume [Internal Unset] 37.2..37.6
              @otelgen.step.name=publish
        """;

    public const string ParallelJoinAll = """
        GET /posts/{id} [Server Unset] 0..4.9
          @http.request.method=GET
          @http.route=/posts/{id}
          @url.scheme=http
          @url.path=/posts/42
          @server.address=127.0.0.1
          @server.port=8080
          @client.address=127.0.0.1
          @user_agent.original=golden/1.0
          @network.protocol.version=1.1
          @http.response.status_code=200
          step.load_post [Internal Ok] 0.1..4.8
            @otelgen.step.name=load_post
            @job.queue=steps
            @job.queue_wait_ms=0.2
            @job.dispatch_ms=0
            @job.park_wait_ms_total=4.1
            @job.run_active_ms=0.4
            @job.park_count=1
            ! 0.1 job.enqueued job.queue=steps job.queue_depth=1
            ! 0.3 job.taken job.queue_depth=0
            ! 0.3 job.started
            ! 0.4 need.requested effects=[db.get blog_post, http.get comments, cache.get author] mode=parallel join=all
            ! 0.4 job.parked job.park.cause=io_wait job.park.token=need-1 job.limit.current=3 job.limit.max=8
            ! 4.5 job.resumed job.park.wait_ms=4.1
            ! 4.5 need.join completed=3 failed=1 duration_ms=4.1
            ! 4.8 job.completed job.success=true
            cache.get author [Client Unset] 0.4..1.1
              @otelgen.effect.system=cache
              @otelgen.effect.operation=get
              @otelgen.effect.target=author
              @job.queue=io
              @error.type=System.InvalidOperationException
              @job.queue_wait_ms=0.2
              @job.dispatch_ms=0
              @job.park_wait_ms_total=0
              @job.run_active_ms=0.5
              @job.park_count=0
              ! 0.4 job.enqueued job.queue=io job.queue_depth=3
              ! 0.6 job.taken job.queue_depth=0
              ! 0.6 job.started
              ! 1.1 exception exception.type=System.InvalidOperationException exception.message=cache node down
              ! 1.1 job.completed job.success=false
            db.get blog_post [Client Unset] 0.4..2.1
              @db.operation.name=get
              @db.collection.name=blog_post
              @otelgen.effect.system=db
              @otelgen.effect.operation=get
              @otelgen.effect.target=blog_post
              @job.queue=io
              @job.queue_wait_ms=0.2
              @job.dispatch_ms=0
              @job.park_wait_ms_total=0
              @job.run_active_ms=1.5
              @job.park_count=0
              ! 0.4 job.enqueued job.queue=io job.queue_depth=1
              ! 0.6 job.taken job.queue_depth=2
              ! 0.6 job.started
              ! 2.1 job.completed job.success=true
            http.get comments [Client Unset] 0.4..4.4
              @http.request.method=GET
              @otelgen.effect.system=http
              @otelgen.effect.operation=get
              @otelgen.effect.target=comments
              @job.queue=io
              @job.queue_wait_ms=0.2
              @job.dispatch_ms=0
              @job.park_wait_ms_total=0
              @job.run_active_ms=3.8
              @job.park_count=0
              ! 0.4 job.enqueued job.queue=io job.queue_depth=2
              ! 0.6 job.taken job.queue_depth=1
              ! 0.6 job.started
              ! 4.4 job.completed job.success=true
            step.load_post.resume [Internal Unset] 4.5..4.8
              @otelgen.step.name=load_post
        """;
}
