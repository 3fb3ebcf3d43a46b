package io.fedpipe.runtime;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * {@code @ExtendWith(OneIntraOpThread.class)}: the test class runs with one intra-op thread and the
 * thread count from before is restored after it (after its {@code @AfterAll} methods). On a shared
 * 2-core machine two OpenMP threads wait for each other whenever either is descheduled, and steps
 * measured in the MiniLM tests went from 0.2 s to 3 s under load; one thread is at most about twice
 * as slow as two and never stalls.
 */
public final class OneIntraOpThread implements BeforeAllCallback, AfterAllCallback {

    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(OneIntraOpThread.class);
    private static final String BEFORE = "threads before";

    @Override
    public void beforeAll(ExtensionContext context) {
        EngineSetup.start(0);
        context.getStore(NAMESPACE).put(BEFORE, EngineSetup.threads());
        EngineSetup.start(1);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        EngineSetup.start(context.getStore(NAMESPACE).get(BEFORE, Integer.class));
    }
}
