package io.fedpipe.cluster.management;

import io.fedpipe.cluster.protocol.SchedulerProtocol;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.onComplete;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;
import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.fedpipe.cluster.protocol.GatewayProtocol;
import io.fedpipe.cluster.scheduler.SchedulerAccess;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.management.javadsl.ManagementRouteProvider;
import org.apache.pekko.management.javadsl.ManagementRouteProviderSettings;

/**
 * FedPipe's routes on the Pekko Management endpoint (registered in management.conf under
 * {@code pekko.management.http.routes}), read-only and answered from the scheduler singleton:
 * <ul>
 *   <li>{@code GET /fedpipe/jobs}: every job's id, name, state and round (JSON)</li>
 *   <li>{@code GET /fedpipe/jobs/{id}}: state, per-node plan, per-round metrics, plan changes (JSON; 404 if unknown)</li>
 *   <li>{@code GET /fedpipe/nodes}: node profiles, up or left, measured slowdown (JSON)</li>
 *   <li>{@code GET /metrics}: Prometheus text ({@link PrometheusText})</li>
 * </ul>
 * 503 with a JSON error when the scheduler does not answer in {@code fedpipe.gateway.ask-timeout}.
 */
public final class FedPipeRoutes implements ManagementRouteProvider {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private final ActorSystem<?> system;

    public FedPipeRoutes(ExtendedActorSystem system) {
        this.system = Adapter.toTyped(system);
    }

    @Override
    public Route routes(ManagementRouteProviderSettings settings) {
        return get(() -> concat(
                pathPrefix("fedpipe", () -> concat(
                        path("jobs", () -> answer(ask(SchedulerProtocol.ListJobs::new))),
                        path(segment("jobs").slash(segment()), id -> answer(ask(r -> new SchedulerProtocol.GetJob(id, r)))),
                        path("nodes", () -> answer(nodes())))),
                path("metrics", () -> onComplete(metrics(), t -> t.isSuccess()
                        ? complete(HttpResponse.create().withEntity(HttpEntities.create(ContentTypes.TEXT_PLAIN_UTF8, t.get())))
                        : error(t.failed().get())))));
    }

    private <T> CompletionStage<T> askScheduler(Function<ActorRef<T>, SchedulerProtocol.Command> request) {
        SchedulerAccess cp = SchedulerAccess.get(system);
        return cp.scheduler().map(s -> AskPattern.ask(s, request::apply, cp.askTimeout(), system.scheduler()))
                .orElseGet(() -> CompletableFuture.failedFuture(new IllegalStateException(
                        "the control plane is not started on this node")));
    }

    private CompletionStage<GatewayProtocol.Reply> ask(Function<ActorRef<GatewayProtocol.Reply>, SchedulerProtocol.Command> r) {
        return askScheduler(r);
    }

    private CompletionStage<SchedulerProtocol.NodeList> nodes() {
        return askScheduler(SchedulerProtocol.GetNodes::new);
    }

    private CompletionStage<String> metrics() {
        return ask(SchedulerProtocol.ListJobs::new).thenCompose(list -> {
            List<CompletableFuture<GatewayProtocol.Reply>> each = new ArrayList<>();
            for (GatewayProtocol.JobSummary j : ((GatewayProtocol.JobList) list).jobs()) {
                each.add(ask(r -> new SchedulerProtocol.GetJob(j.jobId(), r)).toCompletableFuture());
            }
            return CompletableFuture.allOf(each.toArray(CompletableFuture[]::new)).thenCombine(nodes(), (v, nodes) -> {
                List<GatewayProtocol.JobStatus> jobs = each.stream().map(CompletableFuture::join)
                        .filter(r -> r instanceof GatewayProtocol.JobStatus).map(r -> (GatewayProtocol.JobStatus) r).toList();
                return PrometheusText.render(jobs, nodes) + PrometheusText.renderWire(
                        system.settings().config().getString("fedpipe.node.name"),
                        io.fedpipe.cluster.wire.WireBytes.sent(), io.fedpipe.cluster.wire.WireBytes.received());
            });
        });
    }

    private Route answer(CompletionStage<?> reply) {
        return onComplete(reply, t -> {
            if (t.isFailure()) {
                return error(t.failed().get());
            }
            Object r = t.get();
            StatusCode code = r instanceof GatewayProtocol.UnknownJob ? StatusCodes.NOT_FOUND : StatusCodes.OK;
            return json(code, r);
        });
    }

    private static Route error(Throwable e) {
        return json(StatusCodes.SERVICE_UNAVAILABLE, Map.of("error", "the scheduler did not answer: " + e.getMessage()));
    }

    private static Route json(StatusCode code, Object body) {
        try {
            return complete(HttpResponse.create().withStatus(code)
                    .withEntity(HttpEntities.create(ContentTypes.APPLICATION_JSON, JSON.writeValueAsString(body))));
        } catch (JsonProcessingException e) {
            return complete(StatusCodes.INTERNAL_SERVER_ERROR, "cannot render: " + e.getMessage());
        }
    }
}
