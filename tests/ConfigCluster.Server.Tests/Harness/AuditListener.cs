using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ConfigCluster.Server.Tests.Harness;

/// <summary>
/// A test's end of the audit stream: a TCP or Unix stream socket that accepts the node's
/// connections and keeps everything they send. <see cref="Close"/> takes it away (the listener and
/// every accepted connection), as a SIEM going down would.
/// </summary>
internal sealed class AuditListener : IDisposable
{
    private readonly Socket listener;
    private readonly List<Socket> accepted = [];
    private readonly StringBuilder received = new();
    private readonly Lock gate = new();
    private readonly CancellationTokenSource stop = new();

    private AuditListener(Socket listener, string sinkOption)
    {
        this.listener = listener;
        SinkOption = sinkOption;
        _ = AcceptLoopAsync();
    }

    /// <summary>The node's <c>--audit-sink</c> value for this listener.</summary>
    public string SinkOption { get; }

    /// <summary>Everything received so far, over every connection, as text.</summary>
    public string Text
    {
        get
        {
            lock (gate)
                return received.ToString();
        }
    }

    public static AuditListener Tcp(int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, port));
        socket.Listen();
        return new AuditListener(socket, $"tcp:127.0.0.1:{port}");
    }

    public static AuditListener Unix(string path)
    {
        File.Delete(path);
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(path));
        socket.Listen();
        return new AuditListener(socket, "unix:" + path);
    }

    /// <summary>Stops listening and drops every connection.</summary>
    public void Close()
    {
        stop.Cancel();
        listener.Dispose();
        lock (gate)
        {
            foreach (var socket in accepted)
                socket.Dispose();
        }
    }

    public void Dispose()
    {
        Close();
        stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        try
        {
            while (!stop.IsCancellationRequested)
            {
                var socket = await listener.AcceptAsync(stop.Token);
                lock (gate)
                    accepted.Add(socket);
                _ = ReadLoopAsync(socket);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    private async Task ReadLoopAsync(Socket socket)
    {
        var buffer = new byte[64 << 10];
        var decoder = Encoding.UTF8.GetDecoder();
        var chars = new char[Encoding.UTF8.GetMaxCharCount(buffer.Length)];
        try
        {
            while (true)
            {
                var read = await socket.ReceiveAsync(buffer, SocketFlags.None, stop.Token);
                if (read == 0)
                    return;
                var count = decoder.GetChars(buffer, 0, read, chars, 0);
                lock (gate)
                    received.Append(chars, 0, count);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }
}
