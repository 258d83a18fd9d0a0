/*
 * Adapted from Apicurio/apicurio-common-app-components 0.1.18.Final,
 * config-index/runtime/.../DynamicPropertiesInfoRecorder.java (Apache License 2.0, Red Hat).
 */
package io.pgcdc.registry.configindex;

import java.util.List;

import io.apicurio.common.apps.config.DynamicConfigPropertyDef;
import io.apicurio.common.apps.config.DynamicConfigPropertyList;
import io.quarkus.runtime.RuntimeValue;
import io.quarkus.runtime.annotations.Recorder;

/** Turns the build-time list of dynamic config properties into the runtime bean's value. */
@Recorder
public class DynamicPropertiesInfoRecorder {
    public RuntimeValue<DynamicConfigPropertyList> initializePropertiesInfo(
            List<DynamicConfigPropertyDef> dynamicProperties) {
        return new RuntimeValue<>(new DynamicConfigPropertyList(dynamicProperties));
    }
}
