/*
 * Adapted from Apicurio/apicurio-common-app-components 0.1.18.Final,
 * config-index/deployment/.../ConfigIndexProcessor.java (Apache License 2.0, Red Hat).
 */
package io.pgcdc.registry.configindex.deployment;

import java.util.List;
import java.util.stream.Collectors;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.jandex.AnnotationInstance;
import org.jboss.jandex.AnnotationValue;
import org.jboss.jandex.DotName;
import org.jboss.jandex.Type;

import io.apicurio.common.apps.config.Dynamic;
import io.apicurio.common.apps.config.DynamicConfigPropertyDef;
import io.apicurio.common.apps.config.DynamicConfigPropertyList;
import io.pgcdc.registry.configindex.DynamicPropertiesInfoRecorder;
import io.quarkus.arc.deployment.BeanDiscoveryFinishedBuildItem;
import io.quarkus.arc.deployment.SyntheticBeanBuildItem;
import io.quarkus.arc.processor.InjectionPointInfo;
import io.quarkus.deployment.annotations.BuildProducer;
import io.quarkus.deployment.annotations.BuildStep;
import io.quarkus.deployment.annotations.ExecutionTime;
import io.quarkus.deployment.annotations.Record;
import io.quarkus.runtime.RuntimeValue;

/** Quarkus build step (runs once, in the Maven build): indexes the dynamic config properties. */
class ConfigIndexProcessor {
    private static final DotName CONFIG_PROPERTY = DotName.createSimple(ConfigProperty.class.getName());
    private static final DotName DYNAMIC = DotName.createSimple(Dynamic.class.getName());

    @BuildStep
    @Record(ExecutionTime.RUNTIME_INIT)
    void syntheticBean(DynamicPropertiesInfoRecorder recorder, BeanDiscoveryFinishedBuildItem beanDiscovery,
            BuildProducer<SyntheticBeanBuildItem> syntheticBeans) {
        List<DynamicConfigPropertyDef> dynamicProperties = beanDiscovery.getInjectionPoints().stream()
                .filter(ConfigIndexProcessor::isDynamicConfigProperty)
                .map(ConfigIndexProcessor::definition)
                .collect(Collectors.toList());
        RuntimeValue<DynamicConfigPropertyList> list = recorder.initializePropertiesInfo(dynamicProperties);
        syntheticBeans.produce(SyntheticBeanBuildItem.configure(DynamicConfigPropertyList.class)
                .runtimeValue(list)
                .unremovable()
                .setRuntimeInit()
                .done());
    }

    private static DynamicConfigPropertyDef definition(InjectionPointInfo point) {
        AnnotationInstance configProperty = point.getRequiredQualifier(CONFIG_PROPERTY);
        AnnotationInstance dynamic = point.getTarget().asField().annotation(DYNAMIC);
        // The injection point is a Supplier<T>; T is the property's type.
        Type actualType = point.getRequiredType().asParameterizedType().arguments().get(0);
        String name = configProperty.value("name").asString();
        AnnotationValue defaultValue = configProperty.value("defaultValue");
        if (defaultValue == null) {
            throw new IllegalStateException("Dynamic configuration property '" + name + "' must have a default value.");
        }
        Class<?> type;
        try {
            type = Class.forName(actualType.name().toString());
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException("Dynamic configuration property '" + name + "': " + e, e);
        }
        DynamicConfigPropertyDef def = new DynamicConfigPropertyDef(name, type, defaultValue.asString());
        AnnotationValue label = dynamic.value("label");
        AnnotationValue description = dynamic.value("description");
        AnnotationValue requires = dynamic.value("requires");
        if (label != null) {
            def.setLabel(label.asString());
        }
        if (description != null) {
            def.setDescription(description.asString());
        }
        if (requires != null) {
            def.setRequires(requires.asStringArray());
        }
        return def;
    }

    private static boolean isDynamicConfigProperty(InjectionPointInfo point) {
        return point.getRequiredQualifier(CONFIG_PROPERTY) != null && point.isField()
                && point.getTarget().asField().annotation(DYNAMIC) != null;
    }
}
