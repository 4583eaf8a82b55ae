namespace Behaviour;

/// <summary>Every case, in the order the program runs them. tests/Behaviour.Tests reads the names from this file.</summary>
public static class Registry
{
    public static IReadOnlyList<Case> All { get; } = new List<Case>
    {
        new("Sync.Returns", SyncReturns.Run),
        new("Sync.StaticHelpers", StaticHelpers.Run),
        new("Sync.PrivateMembers", PrivateMembers.Run),
        new("Sync.NestedTypes", NestedTypes.Run),
        new("Sync.Recursion", Recursion.Run),
        new("Sync.Overloads", Overloads.Run),
        new("Sync.CheckedArithmetic", CheckedArithmetic.Run),
        new("Sync.StackallocAndUnsafe", StackallocAndUnsafe.Run),
        new("Sync.Locks", Locks.Run),
        new("Sync.ThreadIdentity", ThreadIdentity.Run),
        new("Exceptions.NestedThrow", NestedThrow.Run),
        new("Exceptions.Rethrow", Rethrow.Run),
        new("Exceptions.FilterOrder", FilterOrder.Run),
        new("Exceptions.FilterSeesState", FilterSeesState.Run),
        new("Exceptions.FirstChance", FirstChance.Run),
        new("Exceptions.Types", ExceptionTypes.Run),
        new("Exceptions.StaticConstructor", ThrowInStaticConstructor.Run),
        new("Exceptions.DeepThrow", DeepThrow.Run),
        new("Generics.Methods", GenericMethods.Run),
        new("Generics.Types", GenericTypes.Run),
        new("Generics.ConstrainedCalls", ConstrainedCalls.Run),
        new("Structs.Receivers", StructReceivers.Run),
        new("Structs.ReadonlyFieldCopies", ReadonlyFieldCopies.Run),
        new("Structs.Copies", StructCopies.Run),
        new("Parameters.RefOutIn", RefOutIn.Run),
        new("Parameters.Params", ParamsArguments.Run),
        new("Parameters.OptionalNamed", OptionalNamed.Run),
        new("Parameters.KeywordNames", KeywordNames.Run),
        new("Parameters.NullableValueTypes", NullableValueTypes.Run),
        new("Parameters.Spans", SpanParameters.Run),
        new("Inheritance.Interfaces", Interfaces.Run),
        new("Inheritance.Virtuals", Virtuals.Run),
        new("Inheritance.StaticAbstract", StaticAbstract.Run),
        new("Inheritance.GenericInterfaceCalls", GenericInterfaceCalls.Run),
        new("Inheritance.GenericVirtuals", GenericVirtuals.Run),
        new("Async.Completed", AsyncCompleted.Run),
        new("Async.Faulted", AsyncFaulted.Run),
        new("Async.Cancelled", AsyncCancelled.Run),
        new("Async.AwaitedLater", AwaitedLater.Run),
        new("Async.UnobservedFault", UnobservedFault.Run),
        new("Async.FlowChanges", FlowChanges.Run),
        new("Async.Forks", Forks.Run),
        new("Tags.Integers", TagIntegers.Run),
        new("Tags.Floats", TagFloats.Run),
        new("Tags.Others", TagOthers.Run),
        new("Tags.ToString", TagToString.Run),
        new("Tags.ReturnTags", ReturnTags.Run),
        new("Tags.Effects", Effects.Run),
        new("Calls.MethodGroups", MethodGroups.Run),
        new("Calls.ConditionalAccess", ConditionalAccess.Run),
        new("Calls.LambdasAndLocalFunctions", LambdasAndLocalFunctions.Run),
        new("Calls.Members", Members.Run),
        new("Calls.StaticConstructorOrder", StaticConstructorOrder.Run),
        new("Calls.ExtensionMethods", ExtensionMethods.Run),
        new("Types.RecordsAndTuples", RecordsAndTuples.Run),
        new("Types.Partial", PartialWork.Run),
        new("Types.WholeClass", WholeClass.Run),
        new("Types.NamespaceRule", Services.NamespaceRule.Run),
        new("Types.Reflection", ReflectionCalls.Run),
        new("Types.Obsolete", ObsoleteMembers.Run),
        // Breakers/NAME.cs, each left out by -p:BehaviourSkip=NAME (or all); see Behaviour.Corpus.csproj.
#if !SKIP_ALL && !SKIP_ThisParameter
        new("Breakers.ThisParameter", ThisParameter.Run),
#endif
#if !SKIP_ALL && !SKIP_ShadowedTypeParameters
        new("Breakers.ShadowedTypeParameters", ShadowedTypeParameters.Run),
#endif
#if !SKIP_ALL && !SKIP_DiagnosticIds
        new("Breakers.DiagnosticIds", DiagnosticIds.Run),
#endif
#if !SKIP_ALL && !SKIP_TrimmingAnnotations
        new("Breakers.TrimmingAnnotations", TrimmingAnnotations.Run),
#endif
#if !SKIP_ALL && !SKIP_NullableAnnotations
        new("Breakers.NullableAnnotations", NullableAnnotations.Run),
#endif
#if !SKIP_ALL && !SKIP_DoesNotReturn
        new("Breakers.DoesNotReturn", DoesNotReturnMethods.Run),
#endif
#if !SKIP_ALL && !SKIP_TagUnsignedArrays
        new("Breakers.TagUnsignedArrays", TagUnsignedArrays.Run),
#endif
    };
}
