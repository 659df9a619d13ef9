#include "server/app.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <mutex>

#include "common/encoding.h"
#include "common/hash.h"
#include "common/log.h"
#include "common/worker_pool.h"
#include "http/server.h"
#include "server/credentials.h"
#include "server/memory_guard.h"
#include "server/router.h"
#include "services/s3/s3_api.h"
#include "services/s3/s3_service.h"
#include "services/kinesis/kinesis_api.h"
#include "services/kinesis/kinesis_service.h"
#include "query/query_loader.h"
#include "services/athena/athena_api.h"
#include "services/athena/athena_service.h"
#include "services/athena/query_runner.h"
#include "services/athena/s3_results.h"
#include "services/glue/crawler_service.h"
#include "services/glue/glue_api.h"
#include "services/glue/glue_service.h"
#include "services/firehose/firehose_api.h"
#include "services/firehose/firehose_service.h"
#include "services/firehose/glue_table_schemas.h"
#include "services/firehose/kinesis_stream_reader.h"
#include "services/firehose/parquet_converter.h"
#include "services/firehose/s3_object_sink.h"
#include "services/s3/s3_lake.h"
#include "storage/blob_store.h"
#include "storage/env.h"
#include "storage/meta_store.h"
#include "storage/segment_log.h"

namespace tarn::server {

// Members are declared in construction order; they are destroyed in
// reverse, so the listener goes before the services it calls, and the
// stores last.
struct App::Impl {
  ServeOptions options;
  int lock_fd = -1;
  RootCredentials credentials;
  std::unique_ptr<storage::MetaStore> meta;
  std::unique_ptr<storage::BlobStore> blobs;
  std::unique_ptr<WorkerPool> pool;
  std::unique_ptr<s3::S3Service> s3;
  std::unique_ptr<s3::S3Api> s3_api;
  // S3 as the query engine's lake (s3:// paths in SQL and crawls).
  std::unique_ptr<s3::S3Lake> lake;
  // The query engine of crawls and Athena, opened by the first that needs
  // it (a server that never queries never maps DuckDB) and closed after
  // both.
  std::mutex lake_engine_mu;
  std::unique_ptr<query::QueryEngine> lake_engine;  // GUARDED_BY(lake_engine_mu)
  std::unique_ptr<kinesis::KinesisService> kinesis;
  std::unique_ptr<kinesis::KinesisApi> kinesis_api;
  std::unique_ptr<glue::GlueService> glue;
  std::unique_ptr<glue::CrawlerService> crawlers;
  std::unique_ptr<glue::GlueApi> glue_api;
  // Athena: query history and workgroups in meta.db, queries on the
  // service's own threads through `query_runner` (SQL on the lake engine).
  std::unique_ptr<athena::LakeQueryRunner> query_runner;
  std::unique_ptr<athena::S3ResultObjects> athena_results;
  std::unique_ptr<athena::AthenaService> athena;
  std::unique_ptr<athena::AthenaApi> athena_api;
  // Firehose: buffers under <data>/firehose/, delivery on its own threads
  // into S3, reading Kinesis streams and Glue schemas.
  std::unique_ptr<firehose::S3ObjectSink> firehose_sink;
  std::unique_ptr<firehose::KinesisStreamReader> firehose_kinesis;
  std::unique_ptr<firehose::GlueTableSchemas> firehose_schemas;
  std::unique_ptr<firehose::ParquetConverterFactory> firehose_converters;
  std::unique_ptr<firehose::FirehoseService> firehose;
  std::unique_ptr<firehose::FirehoseApi> firehose_api;
  std::unique_ptr<Router> router;
  std::unique_ptr<http::Server> http;

  ~Impl() {
    if (http) http->Shutdown(std::chrono::milliseconds(0));
    if (pool) pool->Join();
    // Crawl threads use the catalog, the engine and the lake: they end
    // before any of those goes.
    if (crawlers) crawlers->Shutdown();
    // Query threads read the catalog and S3: they end before those go.
    if (athena) athena->Shutdown();
    // Delivery threads write S3 and read Kinesis and Glue: likewise.
    if (firehose) firehose->Stop();
    http.reset();
    if (lock_fd >= 0) ::close(lock_fd);
  }
};

namespace {

// One server per data directory: a second would corrupt the group-commit
// and sweep assumptions. flock is released by the kernel if we die.
Result<int> LockDataDir(const std::string& dir) {
  std::string path = dir + "/LOCK";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return ErrnoStatus("opening " + path, errno);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return FailedPrecondition("another tarn server is using the data directory " + dir);
  }
  return fd;
}

// The engine of crawls and Athena queries: bounded, so that SQL cannot
// take the machine (one thread per core, query_threads x query_memory_mib,
// spilling to <data>/tmp/duckdb); SQL in it reaches the lake and nothing
// else.
Result<query::QueryEngine*> LakeEngine(App::Impl* impl, storage::Env* env) {
  std::lock_guard<std::mutex> lock(impl->lake_engine_mu);
  if (impl->lake_engine) return impl->lake_engine.get();
  const ServeOptions& options = impl->options;
  query::QueryConfig config;
  config.threads = 0;
  const int64_t pool_mib = std::max(1, options.query_threads) * options.query_memory_mib;
  config.memory_limit = std::to_string(pool_mib) + "MiB";
  // Past the pool, allocations DuckDB does not count; the guard leaves room
  // for them and for the rest of the server.
  memory_guard::Start(static_cast<uint64_t>(2 * pool_mib + 1024) << 20);
  static const query::MemoryGuardHooks kGuard = {memory_guard::SetQueryThread,
                                                 memory_guard::OverLimit, memory_guard::Refusals,
                                                 memory_guard::Limit};
  config.memory_guard = &kGuard;
  config.temp_dir = options.data_dir + "/tmp/duckdb";
  config.lake = impl->lake.get();
  TARN_RETURN_IF_ERROR(env->CreateDirs(config.temp_dir));
  TARN_ASSIGN_OR_RETURN(impl->lake_engine, query::CreateQueryEngine(config));
  return impl->lake_engine.get();
}

glue::CrawlFunction MakeCrawlFunction(App::Impl* impl, storage::Env* env) {
  return [impl, env](const glue::CrawlSpec& spec,
                     const std::atomic<bool>& stop) -> Result<glue::CrawlResult> {
    TARN_ASSIGN_OR_RETURN(query::QueryEngine * engine, LakeEngine(impl, env));
    glue::CrawlContext context;
    context.glue = impl->glue.get();
    context.engine = engine;
    context.lake = impl->lake.get();
    context.stop = &stop;
    return glue::RunCrawl(spec, context);
  };
}

}  // namespace

App::App(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
App::~App() = default;

Result<std::unique_ptr<App>> App::Start(const ServeOptions& options, storage::Env* env) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  if (env == nullptr) env = storage::Env::Default();
  const std::string& dir = options.data_dir;
  TARN_RETURN_IF_ERROR(env->CreateDirs(dir).WithContext("creating data directory"));
  TARN_ASSIGN_OR_RETURN(impl->lock_fd, LockDataDir(dir));
  TARN_ASSIGN_OR_RETURN(impl->credentials, LoadOrCreateRootCredentials(dir));

  storage::MetaStore::Options meta_options;
  meta_options.path = dir + "/meta.db";
  TARN_ASSIGN_OR_RETURN(impl->meta, storage::MetaStore::Open(meta_options));
  TARN_ASSIGN_OR_RETURN(impl->blobs, storage::BlobStore::Open(env, dir));
  impl->pool = std::make_unique<WorkerPool>(static_cast<size_t>(std::max(1, options.worker_threads)));

  s3::ServiceOptions s3_options;
  s3_options.region = options.region;
  impl->s3 = std::make_unique<s3::S3Service>(impl->meta.get(), impl->blobs.get(), s3_options);
  TARN_RETURN_IF_ERROR(impl->s3->Start().WithContext("starting S3"));

  s3::ApiOptions api_options;
  // The canonical user id of the account's owner: stable, 64 hex digits.
  api_options.owner_id = HexEncode(Sha256("tarn-account:000000000000"));
  impl->s3_api = std::make_unique<s3::S3Api>(impl->s3.get(), impl->pool.get(), api_options);
  impl->router = std::make_unique<Router>(impl->credentials, impl->s3_api.get());
  impl->router->set_max_inflight_requests(options.max_inflight_requests);
  // JSON-protocol services (X-Amz-Target) register here, after the stores
  // they use: impl->router->json()->Register(service).
  impl->router->json()->set_worker_pool(impl->pool.get());

  // Kinesis Data Streams: metadata in meta.db, one SegmentLog per shard
  // under <data>/streams/.
  kinesis::ServiceOptions kinesis_options;
  kinesis_options.region = options.region;
  kinesis_options.streams_dir = dir + "/streams";
  kinesis_options.status_delay_ms = options.kinesis_status_delay_ms;
  kinesis_options.env = env;
  kinesis_options.open_log = [env](const std::string& shard_dir) {
    storage::SegmentLog::Options log_options;
    log_options.dir = shard_dir;
    return storage::SegmentLog::Open(env, log_options);
  };
  impl->kinesis = std::make_unique<kinesis::KinesisService>(impl->meta.get(), kinesis_options);
  TARN_RETURN_IF_ERROR(impl->kinesis->Start().WithContext("starting Kinesis"));
  impl->kinesis_api = std::make_unique<kinesis::KinesisApi>(impl->kinesis.get(), impl->pool.get());
  impl->router->json()->Register(impl->kinesis_api.get());

  // Glue Data Catalog: databases, tables, partitions in meta.db.
  glue::ServiceOptions glue_options;
  glue_options.region = options.region;
  impl->glue = std::make_unique<glue::GlueService>(impl->meta.get(), glue_options);
  TARN_RETURN_IF_ERROR(impl->glue->Start().WithContext("starting Glue"));

  // Glue crawlers: each crawl on a thread of its own, reading the lake
  // through a query engine loaded by the first crawl.
  impl->lake = std::make_unique<s3::S3Lake>(impl->s3.get());
  glue::CrawlerOptions crawler_options;
  crawler_options.region = options.region;
  crawler_options.crawl = MakeCrawlFunction(impl.get(), env);
  impl->crawlers = std::make_unique<glue::CrawlerService>(impl->meta.get(), crawler_options);
  TARN_RETURN_IF_ERROR(impl->crawlers->Start().WithContext("starting Glue crawlers"));
  impl->glue_api = std::make_unique<glue::GlueApi>(impl->glue.get(), impl->pool.get(),
                                                   impl->crawlers.get());
  impl->router->json()->Register(impl->glue_api.get());

  // Athena over the Glue catalog, results in tarn's S3.
  athena::LakeQueryRunner::Deps runner_deps;
  runner_deps.glue = impl->glue.get();
  runner_deps.s3 = impl->s3.get();
  runner_deps.lake = impl->lake.get();
  runner_deps.engine = [impl = impl.get(), env] { return LakeEngine(impl, env); };
  impl->query_runner = std::make_unique<athena::LakeQueryRunner>(std::move(runner_deps));
  impl->athena_results = std::make_unique<athena::S3ResultObjects>(impl->s3.get());
  athena::AthenaOptions athena_options;
  athena_options.region = options.region;
  athena_options.query_threads = options.query_threads;
  impl->athena = std::make_unique<athena::AthenaService>(
      impl->meta.get(), impl->query_runner.get(), impl->athena_results.get(), impl->glue.get(),
      athena_options);
  TARN_RETURN_IF_ERROR(impl->athena->Start().WithContext("starting Athena"));
  impl->athena_api = std::make_unique<athena::AthenaApi>(impl->athena.get(), impl->pool.get());
  impl->router->json()->Register(impl->athena_api.get());

  // Firehose delivery streams into S3, from direct puts or Kinesis streams;
  // JSON to Parquet conversion on a small engine of its own.
  impl->firehose_sink = std::make_unique<firehose::S3ObjectSink>(impl->s3.get());
  impl->firehose_kinesis = std::make_unique<firehose::KinesisStreamReader>(impl->kinesis.get());
  impl->firehose_schemas = std::make_unique<firehose::GlueTableSchemas>(impl->glue.get());
  firehose::ServiceOptions firehose_options;
  firehose_options.region = options.region;
  firehose_options.buffers_dir = dir + "/firehose";
  // Streams take records as soon as CreateDeliveryStream returns, so they
  // are ACTIVE at once; DELETING shows until the last flush and the purge.
  firehose_options.status_delay_ms = 0;
  firehose_options.env = env;
  firehose_options.open_log = [env](const std::string& buffer_dir) {
    storage::SegmentLog::Options log_options;
    log_options.dir = buffer_dir;
    log_options.segment_bytes = 32ull << 20;
    return storage::SegmentLog::Open(env, log_options);
  };
  firehose::ServiceDeps firehose_deps;
  firehose_deps.sink = impl->firehose_sink.get();
  firehose_deps.kinesis = impl->firehose_kinesis.get();
  firehose_deps.schemas = impl->firehose_schemas.get();
  impl->firehose_converters = std::make_unique<firehose::ParquetConverterFactory>();
  firehose_deps.converters = impl->firehose_converters.get();
  impl->firehose = std::make_unique<firehose::FirehoseService>(impl->meta.get(), firehose_options,
                                                               firehose_deps);
  TARN_RETURN_IF_ERROR(impl->firehose->Start().WithContext("starting Firehose"));
  impl->firehose_api =
      std::make_unique<firehose::FirehoseApi>(impl->firehose.get(), impl->pool.get());
  impl->router->json()->Register(impl->firehose_api.get());

  http::Server::Options http_options;
  http_options.host = options.host;
  http_options.port = options.port;
  http_options.io_threads = options.io_threads;
  http_options.max_connections = options.max_connections;
  http_options.log_requests = options.log_requests;
  Router* router = impl->router.get();
  TARN_ASSIGN_OR_RETURN(
      impl->http,
      http::Server::Start(http_options,
                          [router](http::Request& req, http::BodyReader& body,
                                   http::ResponseWriter& out) { return router->Handle(req, body, out); }));
  // Saved only now that nothing else can fail, so the pair saved is the one
  // RunServe prints (see LoadOrCreateRootCredentials).
  if (impl->credentials.generated) {
    TARN_RETURN_IF_ERROR(
        SaveRootCredentials(dir, impl->credentials).WithContext("saving root credentials"));
  }
  return std::unique_ptr<App>(new App(std::move(impl)));
}

uint16_t App::port() const { return impl_->http->port(); }
bool App::credentials_generated() const { return impl_->credentials.generated; }
const std::string& App::access_key_id() const { return impl_->credentials.access_key_id; }
const std::string& App::secret_access_key() const { return impl_->credentials.secret_access_key; }

void App::Shutdown(std::chrono::milliseconds grace) {
  impl_->http->Shutdown(grace);
  impl_->pool->Join();
  impl_->crawlers->Shutdown();
  impl_->athena->Shutdown();
  impl_->firehose->Stop();
}

int RunServe(const ServeOptions& options) {
  // Block the stop signals before any thread starts, so every thread
  // inherits the mask and only sigwait below receives them.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);

  Result<std::unique_ptr<App>> app = App::Start(options);
  if (!app.ok()) {
    std::fprintf(stderr, "tarn: cannot start: %s\n", app.status().message().c_str());
    return 1;
  }
  const std::string endpoint =
      "http://" + options.host + ":" + std::to_string((*app)->port());
  if ((*app)->credentials_generated()) {
    std::printf(
        "tarn: generated root credentials, saved to %s/credentials (0600). Shown only this once:\n"
        "\n"
        "  export AWS_ACCESS_KEY_ID=%s\n"
        "  export AWS_SECRET_ACCESS_KEY=%s\n"
        "  export AWS_DEFAULT_REGION=%s\n"
        "  aws --endpoint-url %s s3 mb s3://my-bucket\n\n",
        options.data_dir.c_str(), (*app)->access_key_id().c_str(),
        (*app)->secret_access_key().c_str(), options.region.c_str(), endpoint.c_str());
  }
  std::printf("tarn: listening on %s (data: %s)\n", endpoint.c_str(), options.data_dir.c_str());
  std::fflush(stdout);

  int sig = 0;
  sigwait(&stop, &sig);
  TARN_LOG(Info, "shutting down").Kv("signal", sig == SIGINT ? "SIGINT" : "SIGTERM");
  (*app)->Shutdown(std::chrono::seconds(10));
  app->reset();
  TARN_LOG(Info, "stopped");
  return 0;
}

}  // namespace tarn::server
