using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using ConfigCluster.Server.Tests.Harness;

namespace ConfigCluster.Server.Tests.Rotation;

/// <summary>A tiny webhook endpoint (HttpListener on a loopback port): records every body it gets and answers 200, or 500 while failing.</summary>
internal sealed class HookReceiver : IDisposable
{
    private readonly HttpListener listener = new();
    private readonly Task loop;

    public HookReceiver()
    {
        Url = $"http://127.0.0.1:{PortAllocator.Next()}/hook/";
        listener.Prefixes.Add(Url);
        listener.Start();
        loop = Task.Run(ServeAsync);
    }

    public string Url { get; }

    /// <summary>Every call's raw body, in arrival order.</summary>
    public ConcurrentQueue<string> Bodies { get; } = new();

    /// <summary>Calls answered 500 so far.</summary>
    public int Refused => Volatile.Read(ref refused);

    /// <summary>While true, every call is answered 500.</summary>
    public bool Failing { get; set; }

    private int refused;

    /// <summary>The parsed notices (policy, namespace, environment, key, version).</summary>
    public IReadOnlyList<JsonNode> Notices => [.. Bodies.Select(static b => JsonNode.Parse(b)!)];

    private async Task ServeAsync()
    {
        while (listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            using (var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8))
                Bodies.Enqueue(await reader.ReadToEndAsync());
            if (Failing)
                Interlocked.Increment(ref refused);
            context.Response.StatusCode = Failing ? 500 : 200;
            context.Response.Close();
        }
    }

    public void Dispose()
    {
        listener.Stop();
        listener.Close();
        loop.Wait(TimeSpan.FromSeconds(5));
    }
}
